# armhf boards (Debian armhf: ARMv7, hard float); used by scripts/cross-build.sh armhf.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(TW_TRIPLET arm-linux-gnueabihf)
set(TW_DEB_ARCH armhf)
set(TW_QEMU qemu-arm)
# GCC's "parameter passing changed in GCC 7.1" notes: everything here is built by GCC 12.
set(TW_EXTRA_CXX_FLAGS -Wno-psabi)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
