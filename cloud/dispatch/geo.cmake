# Geography, travel time and the RiderIndex (spatial index of available riders).
add_library(tw_dispatch_geo STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/geo.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/travel_time.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/cell_grid.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/rider_index.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/rider_query.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/synthetic_city.cpp)
target_include_directories(tw_dispatch_geo PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(tw_dispatch_geo PUBLIC tw_common PRIVATE tw_warnings)
target_link_libraries(tw_dispatch INTERFACE tw_dispatch_geo)
