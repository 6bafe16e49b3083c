# What every build of Gatehouse's sources shares: the main build (CMakeLists.txt at the
# root) and the clang fuzz build (tests/fuzz/CMakeLists.txt) include this file, so the two
# cannot drift apart. Set GH_VERSION_STRING before including it.

# Asio and Beast are compiled once, in src/core/asio_impl.cc (see the design guide).
# Asio's recycling cache of coroutine frames stays at its default (2 per purpose): with
# tcmalloc behind it, a larger cache (16 was tried) cost more in slot scans and evictions
# than it saved — frames over 1 KB are never cached anyway (docs/architecture.md).
add_compile_definitions(
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE
  GATEHOUSE_VERSION="${GH_VERSION_STRING}")

find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url system regex)
find_package(yaml-cpp REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(VECTORSCAN REQUIRED IMPORTED_TARGET libhs)
