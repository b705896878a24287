# Dispatch policies beyond the basics: bundling in batch rounds (route estimate and
# rounds) and per-region policies (parser and Dispatcher), with fakes and a ManualClock.
tw_add_test(dispatch_policy_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/bundle_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/region_test.cpp
  LIBS tw_dispatch_service)
