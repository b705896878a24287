tw_add_test(dispatch_geo_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/geo_test.cpp ${CMAKE_CURRENT_LIST_DIR}/rider_index_test.cpp
  LIBS tw_dispatch_geo)
