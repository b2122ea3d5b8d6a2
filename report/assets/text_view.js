(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var policySelect = document.getElementById('text-policy');
  var sampleSelect = document.getElementById('text-sample');
  var layerSelect = document.getElementById('text-layer');
  var tokensBox = document.getElementById('text-tokens');
  var metaBox = document.getElementById('text-meta');
  var spanLegend = document.getElementById('text-spans');
  var spanColours = { answer: '#d62728', needle: '#d62728', key: '#ff7f0e', distractor: '#7f7f7f' };
  var tokenSpans = [];

  function policy() { return data.policies[policySelect ? Number(policySelect.value) : 0]; }
  function sample() { return policy().samples[Number(sampleSelect.value)]; }
  function spanColour(kind) { return spanColours[kind] || '#9467bd'; }

  function bitCount(bits) {
    var count = 0;
    while (bits) { bits &= bits - 1; count++; }
    return count;
  }
  function headsKept(p, layerRow, token) {
    var value = layerRow[token];
    return p.head_bits ? bitCount(value) : value;
  }
  function headList(bits, kvHeads) {
    var heads = [];
    for (var h = 0; h < kvHeads; h++) { if (bits & (1 << h)) heads.push(h); }
    return heads.length ? heads.join(', ') : 'none';
  }
  // 0 (evicted everywhere) is white, 1 (kept by every head) is a saturated blue.
  function shade(value) {
    var r = Math.round(255 + (43 - 255) * value);
    var g = Math.round(255 + (140 - 255) * value);
    var b = Math.round(255 + (190 - 255) * value);
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }
  function keptValue(p, s, layer, token) {
    if (p.kv_heads === 0 || p.layers === 0) return 0;
    if (layer >= 0) return headsKept(p, s.heads[layer], token) / p.kv_heads;
    var total = 0;
    for (var l = 0; l < p.layers; l++) total += headsKept(p, s.heads[l], token);
    return total / (p.layers * p.kv_heads);
  }

  function fillOptions(select, labels) {
    while (select.firstChild) select.removeChild(select.firstChild);
    labels.forEach(function (label) {
      var option = document.createElement('option');
      option.value = String(label[0]);
      option.textContent = label[1];
      select.appendChild(option);
    });
  }
  function fillSamples() {
    fillOptions(sampleSelect, policy().samples.map(function (s, index) {
      var score = s.score === null ? '' : ', score ' + s.score.toFixed(3);
      return [index, s.id + ' (' + s.task + score + ', ' + s.text.length + ' tokens)'];
    }));
  }
  function fillLayers() {
    var previous = layerSelect.value;
    var labels = [[-1, 'all layers (mean over layers of the heads keeping it)']];
    for (var l = 0; l < policy().layers; l++) labels.push([l, 'layer ' + l + ' (fraction of its KV heads)']);
    fillOptions(layerSelect, labels);
    if (previous !== '' && Number(previous) < policy().layers) layerSelect.value = previous;
  }

  function addMark(fragment, label) {
    var mark = document.createElement('span');
    mark.className = 'mark';
    mark.textContent = label;
    fragment.appendChild(mark);
  }

  function renderTokens() {
    var p = policy();
    var s = sample();
    var fragment = document.createDocumentFragment();
    var spanAt = new Array(s.text.length);
    s.spans.forEach(function (span) {
      for (var t = Math.max(0, span.begin); t < Math.min(span.end, s.text.length); t++) spanAt[t] = span;
    });
    tokenSpans = [];
    for (var t = 0; t < s.text.length; t++) {
      if (t === s.preamble_end && t > 0) addMark(fragment, 'context \u2192');
      if (t === s.prompt_tokens && t > 0) addMark(fragment, 'generated \u2192');
      var element = document.createElement('span');
      element.className = 'tok';
      element.setAttribute('data-token', String(t));
      // Newlines get a visible mark, so that a kept or evicted line break can be seen.
      element.textContent = s.text[t].replace(/\n/g, '\u21b5\n');
      if (t < s.preamble_end) element.classList.add('pre');
      if (t >= s.prompt_tokens) element.classList.add('gen');
      var span = spanAt[t];
      if (span) {
        element.classList.add('in-span');
        element.style.setProperty('--span-colour', spanColour(span.kind));
        if (t === Math.max(0, span.begin)) element.classList.add('span-first');
        if (t === span.end - 1) element.classList.add('span-last');
      }
      fragment.appendChild(element);
      tokenSpans.push(element);
    }
    while (tokensBox.firstChild) tokensBox.removeChild(tokensBox.firstChild);
    tokensBox.appendChild(fragment);

    var kinds = {};
    s.spans.forEach(function (span) { kinds[span.kind] = true; });
    while (spanLegend.firstChild) spanLegend.removeChild(spanLegend.firstChild);
    Object.keys(kinds).sort().forEach(function (kind) {
      var item = document.createElement('span');
      var swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.border = '2px solid ' + spanColour(kind);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(' ' + kind + ' span'));
      spanLegend.appendChild(item);
    });
    metaBox.textContent = 'policy ' + p.spec + ' \u00b7 sample ' + s.id + ' (' + s.task + ') \u00b7 ' + s.text.length +
        ' tokens, ' + s.prompt_tokens + ' in the prompt, preamble ' + s.preamble_end + ' \u00b7 prediction: ' +
        JSON.stringify(s.prediction);
    restyle();
  }

  function showSample() {
    if (policy().samples.length > 0) {
      renderTokens();
      return;
    }
    tokenSpans = [];
    while (tokensBox.firstChild) tokensBox.removeChild(tokensBox.firstChild);
    while (spanLegend.firstChild) spanLegend.removeChild(spanLegend.firstChild);
    metaBox.textContent = 'no samples recorded';
  }

  function restyle() {
    var p = policy();
    var s = sample();
    var layer = Number(layerSelect.value);
    for (var t = 0; t < tokenSpans.length; t++) {
      var value = keptValue(p, s, layer, t);
      tokenSpans[t].style.backgroundColor = shade(value);
      tokenSpans[t].classList.toggle('evicted', value === 0);
    }
  }

  // Built when hovered: thousands of tokens times every layer would bloat the DOM.
  function tooltip(t) {
    var p = policy();
    var s = sample();
    var layer = Number(layerSelect.value);
    var lines = ['token ' + t + ' \u00b7 id ' + s.ids[t] + ' \u00b7 ' + (data.class_names[s.classes[t]] || '?') +
                 (t < s.preamble_end ? ' \u00b7 preamble' : '') + (t >= s.prompt_tokens ? ' \u00b7 generated' : '')];
    s.spans.forEach(function (span) {
      if (t >= span.begin && t < span.end) lines.push('in ' + span.kind + ' span [' + span.begin + ', ' + span.end + ')');
    });
    var shown = [];
    if (layer >= 0) { shown.push(layer); } else { for (var l = 0; l < p.layers; l++) shown.push(l); }
    if (layer < 0) lines.push('kept by ' + (keptValue(p, s, -1, t) * 100).toFixed(1) + '% of heads over all layers');
    shown.forEach(function (l) {
      var kept = headsKept(p, s.heads[l], t);
      var text = 'layer ' + l + ': ' + kept + '/' + p.kv_heads + ' heads';
      if (p.head_bits && kept > 0) text += ' (' + headList(s.heads[l][t], p.kv_heads) + ')';
      lines.push(text);
    });
    return lines.join('\n');
  }
  tokensBox.addEventListener('mouseover', function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains('tok')) {
      target.title = tooltip(Number(target.getAttribute('data-token')));
    }
  });

  if (policySelect) {
    fillOptions(policySelect, data.policies.map(function (p, index) {
      return [index, String.fromCharCode(65 + index) + ': ' + p.spec];
    }));
    policySelect.addEventListener('change', function () { fillSamples(); fillLayers(); showSample(); });
  }
  sampleSelect.addEventListener('change', showSample);
  layerSelect.addEventListener('change', function () { if (tokenSpans.length) restyle(); });
  fillSamples();
  fillLayers();
  showSample();
  document.documentElement.setAttribute('data-report-ready', '1');
})();
