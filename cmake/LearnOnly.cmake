# The learn-only build (CROWDSIFT_LEARN_ONLY=ON, driven by scripts/build-learn-cuda): crowdsift_util,
# crowdsift_data, crowdsift_aggregate, crowdsift_learn and bench_learn against any LibTorch, on a machine that has a compiler, CMake
# and a LibTorch (for example the one inside an installed PyTorch) but none of SQLite, OpenCV,
# spdlog, CLI11 or Qt. Nothing here looks for those. The header-only Eigen and nlohmann/json come
# from the system, or from .deps/include when the system has none (or CROWDSIFT_HEADER_DEPS says
# so): `scripts/build-learn-cuda --pack` copies them there on a machine that has them.
#
# Included from the top CMakeLists.txt, so the variables set here are the top scope's.

set(CROWDSIFT_DEPS_INCLUDE "${CMAKE_SOURCE_DIR}/.deps/include" CACHE PATH
  "Folder holding eigen3/ and nlohmann/ for machines without those headers installed")
set(CROWDSIFT_HEADER_DEPS "auto" CACHE STRING
  "Where Eigen and nlohmann/json come from: auto (system, else CROWDSIFT_DEPS_INCLUDE), system, bundled")
set_property(CACHE CROWDSIFT_HEADER_DEPS PROPERTY STRINGS auto system bundled)
if(NOT CROWDSIFT_HEADER_DEPS MATCHES "^(auto|system|bundled)$")
  message(FATAL_ERROR "CROWDSIFT_HEADER_DEPS is '${CROWDSIFT_HEADER_DEPS}': use auto, system or bundled")
endif()

# One header-only dependency: the system's package, else an INTERFACE target of the same name
# over CROWDSIFT_DEPS_INCLUDE/<subdir>. Imported targets make their include folder a system one,
# so the library's own warnings stay out of the build log.
function(crowdsift_header_dependency package target subdir probe)
  if(NOT CROWDSIFT_HEADER_DEPS STREQUAL "bundled")
    find_package(${package} ${ARGN} QUIET NO_MODULE)
  endif()
  if(TARGET ${target})
    message(STATUS "${package}: system package (${${package}_DIR})")
    return()
  endif()
  set(folder "${CROWDSIFT_DEPS_INCLUDE}/${subdir}")
  if(CROWDSIFT_HEADER_DEPS STREQUAL "system" OR NOT EXISTS "${folder}/${probe}")
    message(FATAL_ERROR
      "${package} not found: no system package (set ${package}_DIR or CMAKE_PREFIX_PATH) and no "
      "${folder}/${probe}. On a machine that has the headers (the development machine: Debian's "
      "libeigen3-dev and nlohmann-json3-dev), run `scripts/build-learn-cuda --pack` and carry "
      ".deps/ to this one.")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${folder}")
  message(STATUS "${package}: bundled headers in ${folder}")
endfunction()

crowdsift_header_dependency(Eigen3 Eigen3::Eigen eigen3 Eigen/Core 3.3)
crowdsift_header_dependency(nlohmann_json nlohmann_json::nlohmann_json . nlohmann/json.hpp 3)

# LibTorch: whatever CMAKE_PREFIX_PATH / Torch_DIR name, else the system's (Debian's libtorch-dev),
# else the one inside the Python interpreter's PyTorch. A CUDA LibTorch's own config looks for the
# CUDA toolkit (nvcc) and stops the configure when it is missing; scripts/build-learn-cuda checks
# for it first and explains.
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  find_package(Python3 QUIET COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    execute_process(
      COMMAND "${Python3_EXECUTABLE}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE crowdsift_python_torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE crowdsift_python_torch_status ERROR_QUIET)
    if(crowdsift_python_torch_status EQUAL 0 AND EXISTS "${crowdsift_python_torch_prefix}/Torch/TorchConfig.cmake")
      message(STATUS "LibTorch from ${Python3_EXECUTABLE}'s PyTorch: ${crowdsift_python_torch_prefix}")
      find_package(Torch QUIET PATHS "${crowdsift_python_torch_prefix}" NO_DEFAULT_PATH)
    endif()
  endif()
endif()
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "LibTorch not found. Name it with -DCMAKE_PREFIX_PATH=\"$(python3 -c 'import torch.utils; "
    "print(torch.utils.cmake_prefix_path)')\" (PyTorch installed), -DTorch_DIR=<libtorch>/share/cmake/Torch, "
    "or install Debian's libtorch-dev.")
endif()
message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_INSTALL_PREFIX}")

# LibTorch 2.12 and later require C++20 of every translation unit that includes ATen; crowdsift_util,
# crowdsift_data and crowdsift_aggregate are compiled the same way so that both sides agree on every inline type they share.
if(Torch_VERSION VERSION_GREATER_EQUAL 2.12 AND CMAKE_CXX_STANDARD LESS 20)
  set(CMAKE_CXX_STANDARD 20)
  message(STATUS "C++20 (LibTorch ${Torch_VERSION} requires it)")
endif()
# The libstdc++ ABI LibTorch was built with (-D_GLIBCXX_USE_CXX11_ABI=0 or 1), for every target:
# std::string and std::vector cross from those into crowdsift_learn.
if(TORCH_CXX_FLAGS)
  separate_arguments(crowdsift_torch_cxx_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  add_compile_options(${crowdsift_torch_cxx_flags})
endif()

set(CROWDSIFT_WITH_TORCH ON)
set(CROWDSIFT_SHARED "${CMAKE_CURRENT_SOURCE_DIR}/../shared" CACHE PATH "Folder with datasets/ and reference/")

# Stops after crowdsift_learn in this mode.
add_subdirectory(core)

# bench_learn without crowdsift_images: no --prepare (that needs the Fashion-MNIST reader and the
# demo's crowd), everything else.
if(CROWDSIFT_BUILD_BENCH)
  add_executable(bench_learn bench/bench_learn.cpp)
  target_link_libraries(bench_learn PRIVATE crowdsift_learn)
  target_compile_definitions(bench_learn PRIVATE CROWDSIFT_BENCH_LEARN_ONLY=1)
  set_target_properties(bench_learn PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()

# The learn tests that need nothing beyond crowdsift_learn (those that include a header of
# project, learn_project, images or analysis need modules this build leaves out), when Qt Test is installed; a CUDA machine usually has no Qt.
if(CROWDSIFT_BUILD_TESTS)
  find_package(Qt6 QUIET COMPONENTS Core Test)
  if(TARGET Qt6::Test)
    enable_testing()
    file(GLOB crowdsift_learn_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/learn/test_*.cpp)
    foreach(source ${crowdsift_learn_tests})
      file(STRINGS ${source} core_includes REGEX "#include \"(project|learn_project|images|analysis)/")
      get_filename_component(stem ${source} NAME_WE)
      if(core_includes)
        message(STATUS "learn-only: skipping ${stem} (needs a module this build leaves out)")
        continue()
      endif()
      string(REPLACE "test_" "" name ${stem})
      set(target test_learn_${name})
      add_executable(${target} ${source})
      target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests/common)
      target_link_libraries(${target} PRIVATE Qt6::Test crowdsift_learn_torch)
      target_compile_definitions(${target} PRIVATE
        CROWDSIFT_SHARED_DIR="${CROWDSIFT_SHARED}" CROWDSIFT_CLI_PATH="" QT_NO_KEYWORDS)
      set_target_properties(${target} PROPERTIES AUTOMOC ON)
      add_test(NAME learn_${name} COMMAND ${target})
      set_tests_properties(learn_${name} PROPERTIES
        ENVIRONMENT "CROWDSIFT_SHARED=${CROWDSIFT_SHARED}" TIMEOUT 600)
    endforeach()
  else()
    message(STATUS "learn-only: Qt6 Test not found, no tests")
  endif()
endif()
