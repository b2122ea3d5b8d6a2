# `evomem evolve` / `evomem export` end to end (included last by CMakeLists.txt).
set(_evomem_mpirun "${EVOMEM_MPIEXEC};${EVOMEM_MPIEXEC_FLAGS}")
string(REPLACE ";" " " _evomem_mpirun "${_evomem_mpirun}")
foreach(_script evolve_cli_test evolve_resume_test evolve_preemption_test evolve_determinism_test evolve_namm_test titans_search_test)
  set(_labels unit)
  if(_script STREQUAL "evolve_determinism_test" OR _script STREQUAL "evolve_preemption_test" OR _script STREQUAL "evolve_namm_test" OR _script STREQUAL "titans_search_test")
    set(_labels mpi)
  endif()
  evomem_script_test(${_script} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${_script}.sh LABELS ${_labels} TIMEOUT 300)
  set_property(TEST ${_script} APPEND PROPERTY ENVIRONMENT "EVOMEM_MPIRUN=${_evomem_mpirun}")
endforeach()

