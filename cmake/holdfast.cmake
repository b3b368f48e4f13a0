# holdfast_module(NAME SOURCES ... DEPS ...): one static library per module. DEPS is the module's
# allowed dependency list; the module map in docs/ARCHITECTURE.md mirrors it.
function(holdfast_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(holdfast_${name} STATIC ${M_SOURCES})
  target_include_directories(holdfast_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(holdfast_${name} PUBLIC ${M_DEPS})
endfunction()

# holdfast_test(NAME SOURCES ... DEPS ...): one GoogleTest binary per module, found by CTest.
function(holdfast_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE HOLDFAST_TESTDATA_DIR="${HOLDFAST_TESTDATA_DIR}")
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()
