# The dispatcher service inside tidewire-cloud: the Dispatcher (policies, timers, inputs
# from the pipeline), its thread (DispatchLoop), its outputs (offers as commands, order
# updates over MQTT) and the HTTP API.
add_library(tw_dispatch_service STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatch_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/region.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/region_rounds.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/bundle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatcher_inputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatcher_merchant_orders.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatcher_loop.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatcher_outputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/dispatch_api.cpp)
target_include_directories(tw_dispatch_service PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(tw_dispatch_service
  PUBLIC tw_dispatch_orders tw_dispatch_orders_sqlite tw_dispatch_geo tw_dispatch_assignment tw_cloud tw_cloud_http
         tw_http
  PRIVATE tw_warnings)
target_link_libraries(tw_dispatch INTERFACE tw_dispatch_service)

# tw_dispatch_module: the dispatch module of tidewire-cloud (module/dispatch_module.hpp).
add_library(tw_dispatch_module STATIC ${CMAKE_CURRENT_LIST_DIR}/module/dispatch_module.cpp)
target_include_directories(tw_dispatch_module PUBLIC ${CMAKE_CURRENT_LIST_DIR}/module)
target_link_libraries(tw_dispatch_module PUBLIC tw_dispatch_service PRIVATE tw_warnings)
