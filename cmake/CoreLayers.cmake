# The layers of core/: one folder = one module = one CMake target crowdsift_<module>, and the
# modules each one may use (include and link). Everything not listed is forbidden, so a new edge
# has to be added here, in review, rather than appear by accident.
#
#   util                 progress/cancellation, errors, npy/csv I/O, parallel loops
#   data          util   Dataset, answers, summary, dataset readers and writers (formats)
#   images        data   OpenCV: image files, tensor cache, scene features, thumbnails, IDX, demo
#   aggregate     data   aggregation strategies, annotator statistics, CROWDLAB, label quality
#   analysis  aggregate  triage of aggregation results
#   project   analysis   the SQLite project store, aggregation runs, review decisions, final labels
#   learn     aggregate  LibTorch: models, trainers, cross-validation, the CROWDLAB loop
#   learn_project        learning results as project runs (learn + project + images)
#   report               triage reports: a project's bands drawn as figures (project + images)
#
# Also checked: which third-party headers a module may include (Qt in none of them; OpenCV only
# in images, LibTorch only in learn, SQLite only in project, spdlog in none: core reports through
# return values and Progress).
#
# Usable two ways:
#   include(cmake/CoreLayers.cmake) + crowdsift_check_core_layers(<core dir>)  (configure time)
#   cmake -DCORE_DIR=<core dir> -P cmake/CoreLayers.cmake                      (CTest)
# Either fails, naming every offending file and line, when a module includes one it may not.

cmake_policy(VERSION 3.22)

set(CROWDSIFT_CORE_MODULES util data images aggregate analysis project learn learn_project report)
set(CROWDSIFT_MAY_USE_util "")
set(CROWDSIFT_MAY_USE_data util)
set(CROWDSIFT_MAY_USE_images data util)
set(CROWDSIFT_MAY_USE_aggregate data util)
set(CROWDSIFT_MAY_USE_analysis aggregate data util)
set(CROWDSIFT_MAY_USE_project analysis aggregate data util)
set(CROWDSIFT_MAY_USE_learn aggregate data util)
set(CROWDSIFT_MAY_USE_learn_project learn project analysis aggregate images data util)
set(CROWDSIFT_MAY_USE_report project analysis aggregate images data util)

# Third-party include prefixes (regular expressions on the text inside <>) a module may not use.
set(CROWDSIFT_FORBIDDEN_COMMON "^Q[A-Za-z]*(/|$)" "^qt" "^spdlog/")
set(CROWDSIFT_FORBIDDEN_OPENCV "^opencv2?/")
set(CROWDSIFT_FORBIDDEN_TORCH "^torch/" "^ATen/" "^c10/")
set(CROWDSIFT_FORBIDDEN_SQLITE "^SQLiteCpp/" "^sqlite3")

function(crowdsift_forbidden_includes module out)
  set(forbidden ${CROWDSIFT_FORBIDDEN_COMMON})
  if(NOT module STREQUAL "images")
    list(APPEND forbidden ${CROWDSIFT_FORBIDDEN_OPENCV})
  endif()
  if(NOT module STREQUAL "learn")
    list(APPEND forbidden ${CROWDSIFT_FORBIDDEN_TORCH})
  endif()
  if(NOT module STREQUAL "project")
    list(APPEND forbidden ${CROWDSIFT_FORBIDDEN_SQLITE})
  endif()
  set(${out} ${forbidden} PARENT_SCOPE)
endfunction()

# Fails when `module` may not use `dependency` (both module names).
function(crowdsift_require_layer module dependency)
  if(NOT module IN_LIST CROWDSIFT_CORE_MODULES)
    message(FATAL_ERROR "core layers: '${module}' is not a module of core/ (cmake/CoreLayers.cmake)")
  endif()
  if(NOT dependency IN_LIST CROWDSIFT_MAY_USE_${module})
    message(FATAL_ERROR "core layers: crowdsift_${module} may not use crowdsift_${dependency} "
                        "(allowed: ${CROWDSIFT_MAY_USE_${module}}; see cmake/CoreLayers.cmake)")
  endif()
endfunction()

function(crowdsift_check_core_layers core_dir)
  set(problems "")
  file(GLOB folders RELATIVE ${core_dir} ${core_dir}/*)
  foreach(module ${folders})
    if(NOT IS_DIRECTORY ${core_dir}/${module})
      continue()
    endif()
    if(NOT module IN_LIST CROWDSIFT_CORE_MODULES)
      list(APPEND problems "core/${module}/ is not a module listed in cmake/CoreLayers.cmake")
      continue()
    endif()
    crowdsift_forbidden_includes(${module} forbidden)
    file(GLOB_RECURSE files ${core_dir}/${module}/*.h ${core_dir}/${module}/*.cpp)
    foreach(file ${files})
      file(RELATIVE_PATH name ${core_dir} ${file})
      file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
      foreach(line ${lines})
        if(line MATCHES "#[ \t]*include[ \t]*\"([A-Za-z0-9_]+)/")
          set(used ${CMAKE_MATCH_1})
          if(used IN_LIST CROWDSIFT_CORE_MODULES AND NOT used STREQUAL module
             AND NOT used IN_LIST CROWDSIFT_MAY_USE_${module})
            list(APPEND problems "core/${name}: ${module} may not include ${used}/ (${line})")
          endif()
        elseif(line MATCHES "#[ \t]*include[ \t]*<([^>]+)>")
          set(header ${CMAKE_MATCH_1})
          foreach(pattern ${forbidden})
            if(header MATCHES "${pattern}")
              list(APPEND problems "core/${name}: ${module} may not include <${header}>")
            endif()
          endforeach()
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "core layers (cmake/CoreLayers.cmake) broken:\n  ${text}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT CORE_DIR)
    message(FATAL_ERROR "usage: cmake -DCORE_DIR=<core folder> -P cmake/CoreLayers.cmake")
  endif()
  crowdsift_check_core_layers(${CORE_DIR})
  message(STATUS "core layers: ${CORE_DIR} respects cmake/CoreLayers.cmake")
endif()
