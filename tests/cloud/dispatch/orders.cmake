# The order side: OrderBook lifecycle and refusals (memory store), and the SQLite store
# across restarts and a kill -9 inside a transition.
tw_add_test(dispatch_orders_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/order_book_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/order_offer_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/order_store_test.cpp
  LIBS tw_dispatch_orders tw_dispatch_orders_sqlite)
