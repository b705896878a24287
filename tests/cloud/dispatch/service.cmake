# The dispatcher service: Dispatcher with fakes and a ManualClock (policies, answers,
# expiry, reports, reload from SQLite), wired to the real ingest/commands (SQLite
# registry, fake MQTT), and the HTTP API against a real server on port 0.
tw_add_test(dispatch_service_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/dispatcher_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/dispatcher_pipeline_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/dispatch_api_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/merchant_order_test.cpp
  LIBS tw_dispatch_service tw_cloud_sqlite tw_batch_frame tw_http)
