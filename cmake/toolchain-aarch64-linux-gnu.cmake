# arm64 boards (Debian arm64); used by scripts/cross-build.sh arm64.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TW_TRIPLET aarch64-linux-gnu)
set(TW_DEB_ARCH arm64)
set(TW_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
