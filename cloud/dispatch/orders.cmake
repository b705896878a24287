# The order side of dispatch: merchants, the order lifecycle (OrderBook) and the
# OrderStore interface with an in-memory store. Pure domain code: no sockets, no SQLite.
add_library(tw_dispatch_orders STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/order.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_book.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_create.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_offers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_progress.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/order_store_memory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/merchants.cpp)
target_include_directories(tw_dispatch_orders PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(tw_dispatch_orders PUBLIC tw_common tw_protocols PRIVATE tw_warnings)
target_link_libraries(tw_dispatch INTERFACE tw_dispatch_orders)

# The OrderStore on SQLite (WAL, synchronous=FULL, one transaction per transition).
add_library(tw_dispatch_orders_sqlite STATIC
  ${CMAKE_CURRENT_LIST_DIR}/platform/sqlite/sqlite_order_store.cpp)
target_include_directories(tw_dispatch_orders_sqlite PUBLIC ${CMAKE_CURRENT_LIST_DIR}/platform)
target_link_libraries(tw_dispatch_orders_sqlite PUBLIC tw_dispatch_orders tw_sqlite PRIVATE tw_warnings)
