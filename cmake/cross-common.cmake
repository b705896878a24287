# Shared by the cross toolchain files: they set CMAKE_SYSTEM_PROCESSOR, TW_TRIPLET (GNU
# triplet), TW_DEB_ARCH (Debian architecture) and TW_QEMU, then include this.
# Libraries come from the sysroot made by scripts/cross-sysroot.sh ARCH (-DTW_SYSROOT= or
# env TW_SYSROOT; default build-cross/sysroot-ARCH), libc and libstdc++ from the cross gcc
# under /usr/TRIPLET, protoc from the host. Tests run under qemu-user through
# CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)

if(NOT TW_SYSROOT)
  set(TW_SYSROOT "$ENV{TW_SYSROOT}")
endif()
if(NOT TW_SYSROOT)
  get_filename_component(TW_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-cross/sysroot-${TW_DEB_ARCH}" ABSOLUTE)
endif()
set(TW_SYSROOT "${TW_SYSROOT}" CACHE PATH "sysroot made by scripts/cross-sysroot.sh")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TW_SYSROOT)

set(CMAKE_C_COMPILER ${TW_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${TW_TRIPLET}-g++)
set(CMAKE_FIND_ROOT_PATH "${TW_SYSROOT}" /usr/${TW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(Protobuf_PROTOC_EXECUTABLE /usr/bin/protoc CACHE FILEPATH "host protoc")

# pkg-config reads only the sysroot's .pc files and prefixes their paths with it.
set(ENV{PKG_CONFIG_LIBDIR} "${TW_SYSROOT}/usr/lib/${TW_TRIPLET}/pkgconfig:${TW_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${TW_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

# Sysroot headers are system headers (no -Werror on them); the linker and the loader
# under qemu find indirect dependencies (libssl via libmosquitto) in the sysroot.
set(_tw_libs "${TW_SYSROOT}/usr/lib/${TW_TRIPLET}:${TW_SYSROOT}/lib/${TW_TRIPLET}")
set(_tw_inc "-isystem ${TW_SYSROOT}/usr/include/${TW_TRIPLET} -isystem ${TW_SYSROOT}/usr/include")
set(CMAKE_C_FLAGS_INIT "${_tw_inc}")
set(CMAKE_CXX_FLAGS_INIT "${_tw_inc} ${TW_EXTRA_CXX_FLAGS}")
# The sysroot's lib dirs are the board's system dirs: keep them out of the RPATH
# (no build-machine paths in the binaries).
list(APPEND CMAKE_PLATFORM_IMPLICIT_LINK_DIRECTORIES
  "${TW_SYSROOT}/usr/lib/${TW_TRIPLET}" "${TW_SYSROOT}/lib/${TW_TRIPLET}")
foreach(_kind EXE SHARED MODULE)
  set(CMAKE_${_kind}_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_tw_libs}")
endforeach()
# TW_EMULATOR tells a test it runs under qemu-user, where exec() of another target-arch
# binary fails (no binfmt_misc); exec() of host programs (mosquitto broker) works.
set(CMAKE_CROSSCOMPILING_EMULATOR ${TW_QEMU} -L /usr/${TW_TRIPLET}
  -E LD_LIBRARY_PATH=${_tw_libs} -E TW_EMULATOR=${TW_QEMU})
