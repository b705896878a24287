tw_add_test(dispatch_assignment_tests SOURCES ${CMAKE_CURRENT_LIST_DIR}/assignment_test.cpp
  LIBS tw_dispatch_assignment tw_dispatch_reference)
