# Locates libtorch for camu, in this order (the first that yields a TorchConfig.cmake wins):
#   1. explicit: LIBTORCH (a libtorch root, cache variable or environment), Torch_DIR, CMAKE_PREFIX_PATH
#   2. the libtorch inside an importable Python `torch` (CAMU_PYTHON or python3 on PATH)
#   3. the system package (Debian/Ubuntu libtorch-dev)
# Nothing is ever downloaded. On failure one error lists every place that was tried.
#
# Sets: CAMU_TORCH_PREFIX, CAMU_TORCH_LIB_DIR, CAMU_TORCH_SOURCE, and everything find_package(Torch) sets.

set(_camu_tried "")

function(_camu_config_dir_of_root root out)
  foreach(candidate "${root}/share/cmake/Torch" "${root}/lib/cmake/Torch")
    if(EXISTS "${candidate}/TorchConfig.cmake")
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

set(_camu_torch_config_dir "")

# 1. Explicit locations.
if(NOT LIBTORCH AND DEFINED ENV{LIBTORCH})
  set(LIBTORCH "$ENV{LIBTORCH}")
endif()
if(LIBTORCH)
  _camu_config_dir_of_root("${LIBTORCH}" _dir)
  list(APPEND _camu_tried "LIBTORCH=${LIBTORCH}: ${_dir}")
  if(NOT _dir)
    message(FATAL_ERROR "camu: LIBTORCH=${LIBTORCH} is not a libtorch root "
      "(no share/cmake/Torch/TorchConfig.cmake below it). Point LIBTORCH at the folder that holds "
      "include/, lib/ and share/ of libtorch, or at torch.utils.cmake_prefix_path/../.. of a Python torch.")
  endif()
  set(_camu_torch_config_dir "${_dir}")
  set(CAMU_TORCH_SOURCE "LIBTORCH")
endif()
if(NOT _camu_torch_config_dir AND Torch_DIR AND EXISTS "${Torch_DIR}/TorchConfig.cmake")
  set(_camu_torch_config_dir "${Torch_DIR}")
  set(CAMU_TORCH_SOURCE "Torch_DIR")
elseif(NOT _camu_torch_config_dir AND Torch_DIR)
  list(APPEND _camu_tried "Torch_DIR=${Torch_DIR}: no TorchConfig.cmake there")
endif()
if(NOT _camu_torch_config_dir AND CMAKE_PREFIX_PATH)
  foreach(prefix IN LISTS CMAKE_PREFIX_PATH)
    foreach(candidate "${prefix}" "${prefix}/Torch" "${prefix}/share/cmake/Torch" "${prefix}/lib/cmake/Torch")
      if(NOT _camu_torch_config_dir AND EXISTS "${candidate}/TorchConfig.cmake")
        set(_camu_torch_config_dir "${candidate}")
        set(CAMU_TORCH_SOURCE "CMAKE_PREFIX_PATH")
      endif()
    endforeach()
  endforeach()
  if(NOT _camu_torch_config_dir)
    list(APPEND _camu_tried "CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH}: no TorchConfig.cmake there")
  endif()
endif()
if(NOT LIBTORCH AND NOT Torch_DIR AND NOT CMAKE_PREFIX_PATH)
  list(APPEND _camu_tried "LIBTORCH / Torch_DIR / CMAKE_PREFIX_PATH: not set")
endif()

# 2. A Python torch.
if(NOT _camu_torch_config_dir)
  if(DEFINED ENV{CAMU_PYTHON})
    set(_camu_python "$ENV{CAMU_PYTHON}")
  else()
    find_program(_camu_python NAMES python3 python)
  endif()
  if(_camu_python)
    execute_process(
      COMMAND "${_camu_python}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _py_prefix ERROR_VARIABLE _py_err RESULT_VARIABLE _py_rc
      OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(_py_rc EQUAL 0 AND EXISTS "${_py_prefix}/Torch/TorchConfig.cmake")
      set(_camu_torch_config_dir "${_py_prefix}/Torch")
      set(CAMU_TORCH_SOURCE "python (${_camu_python})")
    elseif(_py_rc EQUAL 0)
      list(APPEND _camu_tried "${_camu_python}: its torch has no CMake files at ${_py_prefix}")
    else()
      list(APPEND _camu_tried "${_camu_python}: cannot import torch")
    endif()
  else()
    list(APPEND _camu_tried "python3: not on PATH")
  endif()
endif()

# 3. The system package.
if(NOT _camu_torch_config_dir)
  find_path(_camu_system_torch_dir TorchConfig.cmake
    PATH_SUFFIXES cmake/Torch lib/cmake/Torch share/cmake/Torch
    PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} /usr/lib /usr/local/lib /usr/share
    NO_CACHE)
  if(_camu_system_torch_dir)
    set(_camu_torch_config_dir "${_camu_system_torch_dir}")
    set(CAMU_TORCH_SOURCE "system package")
  else()
    list(APPEND _camu_tried "system package: no TorchConfig.cmake under /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/Torch")
  endif()
endif()

if(NOT _camu_torch_config_dir)
  list(JOIN _camu_tried "\n  - " _tried_text)
  message(FATAL_ERROR "camu: libtorch not found. Tried, in order:\n  - ${_tried_text}\n"
    "Fix one of:\n"
    "  sudo apt-get install libtorch-dev                          (Debian/Ubuntu)\n"
    "  LIBTORCH=/path/to/libtorch npm rebuild camu                (an unzipped libtorch)\n"
    "  CAMU_PYTHON=/path/to/python npm rebuild camu               (a Python with torch installed)")
endif()

# The libtorch root: TorchConfig.cmake lives four levels below it in every layout we accept
# (<root>/share/cmake/Torch, <root>/lib/cmake/Torch, <root>/lib/<arch>/cmake/Torch).
get_filename_component(_camu_cfg_parent "${_camu_torch_config_dir}/../.." ABSOLUTE)
if(EXISTS "${_camu_cfg_parent}/libtorch.so")
  set(CAMU_TORCH_LIB_DIR "${_camu_cfg_parent}")           # Debian: /usr/lib/<arch>/cmake/Torch
else()
  get_filename_component(CAMU_TORCH_PREFIX "${_camu_torch_config_dir}/../../.." ABSOLUTE)
  set(CAMU_TORCH_LIB_DIR "${CAMU_TORCH_PREFIX}/lib")
endif()
get_filename_component(CAMU_TORCH_PREFIX "${CAMU_TORCH_LIB_DIR}/.." ABSOLUTE)

# TorchConfig's find_library calls search the system directories before the libtorch's own lib
# dir, so with Debian's libtorch installed a pip libtorch would link the system libc10 as well and
# abort at start-up with two libtorch versions loaded. Pin every such library to the found root.
foreach(pair "c10_LIBRARY=c10" "TORCH_LIBRARY=torch" "C10_CUDA_LIBRARY=c10_cuda"
             "CAFFE2_NVRTC_LIBRARY=caffe2_nvrtc")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 var)
  list(GET pair 1 lib)
  if(EXISTS "${CAMU_TORCH_LIB_DIR}/lib${lib}.so")
    set(${var} "${CAMU_TORCH_LIB_DIR}/lib${lib}.so" CACHE FILEPATH "camu: pinned to the found libtorch" FORCE)
  endif()
endforeach()

# Likewise TorchConfig's find_package(Caffe2 PATHS ...) prefers a system Caffe2 config (Debian's)
# over the one beside it: name it explicitly.
get_filename_component(_camu_caffe2_dir "${_camu_torch_config_dir}/../Caffe2" ABSOLUTE)
if(EXISTS "${_camu_caffe2_dir}/Caffe2Config.cmake")
  set(Caffe2_DIR "${_camu_caffe2_dir}" CACHE PATH "camu: the Caffe2 config beside the found libtorch" FORCE)
endif()

set(Torch_DIR "${_camu_torch_config_dir}" CACHE PATH "camu: the libtorch CMake config in use" FORCE)
find_package(Torch REQUIRED CONFIG PATHS "${_camu_torch_config_dir}" NO_DEFAULT_PATH)
message(STATUS "camu: libtorch ${Torch_VERSION} from ${CAMU_TORCH_SOURCE}: ${CAMU_TORCH_LIB_DIR}")
