# Assignment solvers for batch dispatch rounds: exact (shortest augmenting paths), greedy
# nearest-first, and the instance generator shared by tests and the bench. Pure domain code.
add_library(tw_dispatch_assignment STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/assignment_problem.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/assignment_exact.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/assignment_greedy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/assignment_instances.cpp)
target_include_directories(tw_dispatch_assignment PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(tw_dispatch_assignment PUBLIC tw_common PRIVATE tw_warnings)
target_link_libraries(tw_dispatch INTERFACE tw_dispatch_assignment)

# The Boost Graph min-cost-flow reference, kept apart so production binaries never pull in
# Boost Graph; only tests and the bench link it.
add_library(tw_dispatch_reference STATIC ${CMAKE_CURRENT_LIST_DIR}/src/reference_solver.cpp)
target_link_libraries(tw_dispatch_reference PUBLIC tw_dispatch_assignment PRIVATE Boost::boost tw_warnings)
