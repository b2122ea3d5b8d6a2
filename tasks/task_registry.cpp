#include "tasks/task_registry.h"

#include <algorithm>

#include "core/error.h"
#include "core/text.h"
#include "tasks/prompt_builder.h"

namespace evomem::tasks {
namespace {

// LongBench v1: config/dataset2prompt.json and config/dataset2maxlen.json of THUDM/LongBench;
// metrics from eval.py's dataset2metric.
const TaskDefinition kLongBench[] = {
    {"narrativeqa",
     "You are given a story, which can be either a novel or a movie script, and a question. Answer the question "
     "asconcisely as you can, using a single phrase if possible. Do not provide any explanation.\n\nStory: "
     "{context}\n\nNow, answer the question based on the story asconcisely as you can, using a single phrase if "
     "possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
     128, metrics::Metric::kQaF1},
    {"qasper",
     "You are given a scientific article and a question. Answer the question as concisely as you can, using a single "
     "phrase or sentence if possible. If the question cannot be answered based on the information in the article, "
     "write \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do "
     "not provide any explanation.\n\nArticle: {context}\n\n Answer the question based on the above article as "
     "concisely as you can, using a single phrase or sentence if possible. If the question cannot be answered based "
     "on the information in the article, write \"unanswerable\". If the question is a yes/no question, answer "
     "\"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
     128, metrics::Metric::kQaF1},
    {"multifieldqa_en",
     "Read the following text and answer briefly.\n\n{context}\n\nNow, answer the following question based on the "
     "above text, only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
     64, metrics::Metric::kQaF1},
    {"multifieldqa_zh",
     "阅读以下文字并用中文简短回答：\n\n{context}\n\n现在请基于上面的文章回答下面的问题，只告诉我答案，不要输出任何其他字词。\n\n问题：{input}\n回答：",
     64, metrics::Metric::kQaF1Zh},
    {"hotpotqa",
     "Answer the question based on the given passages. Only give me the answer and do not output any other "
     "words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. "
     "Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
     32, metrics::Metric::kQaF1},
    {"2wikimqa",
     "Answer the question based on the given passages. Only give me the answer and do not output any other "
     "words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. "
     "Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
     32, metrics::Metric::kQaF1},
    {"musique",
     "Answer the question based on the given passages. Only give me the answer and do not output any other "
     "words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. "
     "Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
     32, metrics::Metric::kQaF1},
    {"dureader",
     "请基于给定的文章回答下述问题。\n\n文章：{context}\n\n请基于上述文章回答下面的问题。\n\n问题：{input}\n回答：",
     128, metrics::Metric::kRougeZh},
    {"gov_report",
     "You are given a report by a government agency. Write a one-page summary of the report.\n\nReport:\n{context}"
     "\n\nNow, write a one-page summary of the report.\n\nSummary:",
     512, metrics::Metric::kRouge},
    {"qmsum",
     "You are given a meeting transcript and a query containing a question or instruction. Answer the query in one "
     "or more sentences.\n\nTranscript:\n{context}\n\nNow, answer the query based on the above meeting transcript in "
     "one or more sentences.\n\nQuery: {input}\nAnswer:",
     512, metrics::Metric::kRouge},
    {"multi_news",
     "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n{context}\n\nNow, write "
     "a one-page summary of all the news.\n\nSummary:",
     512, metrics::Metric::kRouge},
    {"vcsum", "下面有一段会议记录，请你阅读后，写一段总结，总结会议的内容。\n会议记录：\n{context}\n\n会议总结：", 512,
     metrics::Metric::kRougeZh},
    {"trec",
     "Please determine the type of the question below. Here are some examples of questions.\n\n{context}\n{input}", 64,
     metrics::Metric::kClassification},
    {"triviaqa",
     "Answer the question based on the given passage. Only give me the answer and do not output any other words. "
     "The following are some examples.\n\n{context}\n\n{input}",
     32, metrics::Metric::kQaF1},
    {"samsum",
     "Summarize the dialogue into a few short sentences. The following are some examples.\n\n{context}\n\n{input}", 128,
     metrics::Metric::kRouge},
    {"lsht", "请判断给定新闻的类别，下面是一些例子。\n\n{context}\n{input}", 64, metrics::Metric::kClassification},
    {"passage_count",
     "There are some paragraphs below sourced from Wikipedia. Some of them may be duplicates. Please carefully read "
     "these paragraphs and determine how many unique paragraphs there are after removing duplicates. In other words, "
     "how many non-repeating paragraphs are there in total?\n\n{context}\n\nPlease enter the final count of unique "
     "paragraphs after removing duplicates. The output format should only contain the number, such as 1, 2, 3, and "
     "so on.\n\nThe final answer is: ",
     32, metrics::Metric::kCount},
    {"passage_retrieval_en",
     "Here are 30 paragraphs from Wikipedia, along with an abstract. Please determine which paragraph the abstract is "
     "from.\n\n{context}\n\nThe following is an abstract.\n\n{input}\n\nPlease enter the number of the paragraph that "
     "the abstract is from. The answer format must be like \"Paragraph 1\", \"Paragraph 2\", etc.\n\nThe answer is: ",
     32, metrics::Metric::kRetrieval},
    {"passage_retrieval_zh",
     "以下是若干段落文字，以及其中一个段落的摘要。请确定给定的摘要出自哪一段。\n\n{context}\n\n下面是一个摘要\n\n{input}\n\n请输入摘要所属段落的编号。答案格式必须是\"段落1\"，\"段落2\"等格式\n\n答案是：",
     32, metrics::Metric::kRetrievalZh},
    {"lcc", "Please complete the code given below. \n{context}Next line of code:\n", 64, metrics::Metric::kCodeSim},
    {"repobench-p", "Please complete the code given below. \n{context}{input}Next line of code:\n", 64,
     metrics::Metric::kCodeSim},
};

// InfiniteBench: the templates its base-model evaluation uses (src/prompt.py,
// yarn_mistral_templates), max new tokens from src/eval_utils.py, scorers from
// src/compute_scores.py.
const TaskDefinition kInfiniteBench[] = {
    {"passkey",
     "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you "
     "about the important information.\n\n{context}\n\n{input}\n\nThe pass key is",
     6, metrics::Metric::kPasskey},
    {"number_string",
     "There is an important info hidden inside a lot of irrelevant text. Find it. I will quiz you about the important "
     "information there.\n\n{context}\n\n{input}\n\nThe sequence of digits is",
     12, metrics::Metric::kPasskey},
    {"kv_retrieval",
     "Extract the value corresponding to the specified key in the JSON object below.\n\n{context}\n\n{input}", 50,
     metrics::Metric::kKvRetrieval},
    {"longbook_sum_eng", "Summarize the book below.\n\n{context}\n\nSummary:", 1200, metrics::Metric::kRougeLsum},
    {"longbook_choice_eng",
     "Read the book and answer the question.\n\n{context}\n\nQuestion: {question}\nA. {OPTION_A}\nB. {OPTION_B}\nC. "
     "{OPTION_C}\nD. {OPTION_D}\n\nThe letter of the correct answer is",
     40, metrics::Metric::kChoice},
    {"longbook_qa_eng",
     "Read the book and answer the question. Be very concise in your answer.\n\n{context}\n\nQuestion: "
     "{question}\nAnswer:",
     40, metrics::Metric::kQaF1},
    {"longdialogue_qa_eng",
     "Below is a dialogue script where one random occurrence of a character name is replaced with \"$$MASK$$\", and "
     "you should try to guess who that character is.\n\n{context}\n\nThe name that has been replaced with $$MASK$$ is "
     "likely",
     40, metrics::Metric::kDialogue},
    {"math_find", "{prefix}\n\n{context}\n\n{input}", 3, metrics::Metric::kMathFind},
    {"code_run",
     "There is a function called {func} in the following Python code.\n\n{context}\n\nPlease compute the exact value "
     "of {func_call}. The value of {func_call} is",
     5, metrics::Metric::kCodeRun},
    {"code_debug",
     "Following is a Python code where exactly one of the functions/methods has a deliberate error that makes it "
     "crash.\n\n{context}\n\nOptions:\nA. {OPTION_A}\nB. {OPTION_B}\nC. {OPTION_C}\nD. {OPTION_D}\n\nThe correct "
     "option is:",
     5, metrics::Metric::kCodeDebug},
};

}  // namespace

std::string dataset_format_name(DatasetFormat format) {
  return format == DatasetFormat::kLongBench ? "longbench" : "infinitebench";
}

TaskSpec task_spec_from(const TaskDefinition& definition, DatasetFormat format, const std::string& source) {
  TaskSpec task;
  task.name = definition.name;
  task.format = format;
  task.prompt_template = definition.prompt;
  task.max_new_tokens = definition.max_new_tokens;
  task.metric = definition.metric;
  task.data_file = task.name + ".jsonl";
  task.source = source;
  return task;
}

const std::vector<std::string>& longbench_task_names() {
  static const std::vector<std::string> names = definition_names(kLongBench);
  return names;
}

const std::vector<std::string>& infinitebench_task_names() {
  static const std::vector<std::string> names = definition_names(kInfiniteBench);
  return names;
}

TaskRegistry TaskRegistry::builtin() {
  TaskRegistry registry;
  for (const auto& entry : kLongBench) {
    TaskSpec task = task_spec_from(entry, DatasetFormat::kLongBench, "LongBench v1");
    const std::string& name = task.name;
    task.first_line_only = name == "trec" || name == "triviaqa" || name == "samsum" || name == "lsht";
    task.chat_template_allowed = !(task.first_line_only || name == "lcc" || name == "repobench-p");
    if (name == "samsum") task.stop_strings = {"\n"};
    registry.add(std::move(task));
  }
  for (const auto& entry : kInfiniteBench) {
    registry.add(task_spec_from(entry, DatasetFormat::kInfiniteBench, "InfiniteBench"));
  }
  return registry;
}

void TaskRegistry::add(TaskSpec task) {
  const std::string name = task.name;
  tasks_[name] = std::move(task);
}

bool TaskRegistry::contains(const std::string& name) const { return tasks_.count(name) != 0; }

const TaskSpec& TaskRegistry::get(const std::string& name) const {
  const auto found = tasks_.find(name);
  if (found == tasks_.end()) {
    throw InputError("unknown task '" + name + "'; known tasks: " + core::join(names()) +
                     " (or add one from a TOML file, see docs/tasks.md)");
  }
  return found->second;
}

std::vector<std::string> TaskRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, task] : tasks_) out.push_back(name);
  return out;
}

core::ConfigSchema TaskRegistry::user_task_schema() {
  core::ConfigSchema schema;
  schema.optional("tasks.*.template", core::ConfigKind::kString, "prompt template with {context} and {input}", true);
  schema.optional("tasks.*.metric", core::ConfigKind::kString, "metric name (evomem tasks list shows them)", true);
  schema.optional("tasks.*.max_new_tokens", core::ConfigKind::kInteger, "tokens to generate at most", true);
  schema.string("tasks.*.format", "longbench", "JSONL layout of the data file", {"longbench", "infinitebench"});
  schema.boolean("tasks.*.first_line", false, "score only the first line of the prediction");
  schema.string_list("tasks.*.stop", {}, "strings that end generation");
  schema.boolean("tasks.*.chat_template", true, "wrap in the chat template when chat templates are on");
  schema.optional("tasks.*.data_file", core::ConfigKind::kString, "data file name (default <task>.jsonl)");
  return schema;
}

void TaskRegistry::add_from_toml(const std::filesystem::path& path) {
  add_from_config(core::Config::load(path), path.string());
}

void TaskRegistry::add_from_config(const core::Config& input, const std::string& source) {
  core::Config config = input;
  config.validate(user_task_schema());
  for (const auto& name : config.children("tasks")) {
    const std::string prefix = "tasks." + name + ".";
    TaskSpec task;
    task.name = name;
    task.prompt_template = config.get_string(prefix + "template");
    template_fields(task.prompt_template, source + ": key '" + prefix + "template'");  // rejects lone braces
    const std::string metric_text = config.get_string(prefix + "metric");
    const auto metric = metrics::parse_metric(metric_text);
    if (!metric) {
      throw ConfigError(source + ": key '" + prefix + "metric' is '" + metric_text +
                        "', not one of: " + core::join(metrics::metric_names()));
    }
    task.metric = *metric;
    const std::int64_t max_new_tokens = config.get_int(prefix + "max_new_tokens");
    if (max_new_tokens <= 0 || max_new_tokens > 1'000'000) {
      throw ConfigError(source + ": key '" + prefix + "max_new_tokens' must be between 1 and 1000000, got " +
                        std::to_string(max_new_tokens));
    }
    task.max_new_tokens = static_cast<int>(max_new_tokens);
    task.format = config.get_string(prefix + "format") == "infinitebench" ? DatasetFormat::kInfiniteBench
                                                                          : DatasetFormat::kLongBench;
    task.first_line_only = config.get_bool(prefix + "first_line");
    task.stop_strings = config.get_strings(prefix + "stop");
    task.chat_template_allowed = config.get_bool(prefix + "chat_template");
    task.data_file = config.has(prefix + "data_file") ? config.get_string(prefix + "data_file") : name + ".jsonl";
    task.source = source;
    add(std::move(task));
  }
}

}  // namespace evomem::tasks
