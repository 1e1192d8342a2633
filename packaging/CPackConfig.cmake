# The Debian package: `scripts/package` (or `cmake --build build --target crowdsift_package`,
# then `cpack -G DEB` in build/) writes build/crowdsift_<version>_amd64.deb. Installed under /usr:
#   bin/crowdsift, bin/crowdsift-cli, lib/crowdsift/crowdsift-cli-full (app/CMakeLists.txt),
#   lib/crowdsift/crowdsift_gui_learn.so (ui/CMakeLists.txt);
#   share/man/man1/crowdsift.1.gz, crowdsift-cli.1.gz: written at build time by help2man from the
#     programs' own --help (packaging/ManPage.cmake), so they cannot drift from the code;
#   share/applications/crowdsift.desktop, share/metainfo/crowdsift.metainfo.xml,
#     share/mime/packages/crowdsift.xml (the .csift type; dpkg's trigger updates the MIME cache);
#   share/icons/hicolor/{scalable,48x48,128x128}/apps/crowdsift.{svg,png} (PNGs drawn from the SVG);
#   share/doc/crowdsift/{copyright,changelog.gz}.
# The project's own libraries are static, so the executables need only system libraries, found
# by the dynamic linker without any RPATH; dpkg-shlibdeps turns the ones really linked into Depends.
set(CROWDSIFT_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CROWDSIFT_PACKAGING_OUT ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${CROWDSIFT_PACKAGING_OUT})
option(CROWDSIFT_PACKAGE_DATA "Build the man pages, PNG icons and package documents (help2man, rsvg-convert, gzip)" ON)

# Installing (and so CPack) needs only what the package holds, not the tests and benchmarks; and
# it does not build it: build the crowdsift_package target first (scripts/package does).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
# Directories made by the install step (and so in the package) are 0755 whatever the umask.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# Everything the package holds.
add_custom_target(crowdsift_package)
add_dependencies(crowdsift_package crowdsift-cli crowdsift-cli-full)
if(CROWDSIFT_BUILD_GUI)
  add_dependencies(crowdsift_package crowdsift)
  # The Learning tab and the report job, opened by crowdsift on first use (ui/CMakeLists.txt).
  if(TARGET crowdsift_gui_learn)
    add_dependencies(crowdsift_package crowdsift_gui_learn)
  endif()
endif()

if(CROWDSIFT_PACKAGE_DATA)
  find_program(CROWDSIFT_HELP2MAN help2man)
  find_program(CROWDSIFT_GZIP gzip)
  find_program(CROWDSIFT_RSVG_CONVERT rsvg-convert)
  foreach(tool CROWDSIFT_HELP2MAN CROWDSIFT_GZIP CROWDSIFT_RSVG_CONVERT)
    if(NOT ${tool})
      message(FATAL_ERROR "${tool} not found: run scripts/bootstrap (help2man, gzip, librsvg2-bin), "
                          "or configure with -DCROWDSIFT_PACKAGE_DATA=OFF for a build without the package's data")
    endif()
  endforeach()

  # crowdsift_man_page(<target> <summary> [VERBS]): share/man/man1/<target>.1.gz.
  function(crowdsift_man_page target summary)
    set(page ${CROWDSIFT_PACKAGING_OUT}/${target}.1.gz)
    set(verbs OFF)
    set(depends ${target})
    if("VERBS" IN_LIST ARGN)
      set(verbs ON)
      # The handed-over verbs print their help from crowdsift-cli-full.
      list(APPEND depends crowdsift-cli-full)
    endif()
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${CROWDSIFT_HELP2MAN} -DGZIP=${CROWDSIFT_GZIP}
              -DPROGRAM=$<TARGET_FILE:${target}> -DNAME=${target} -DVERSION=${PROJECT_VERSION}
              -DSUMMARY=${summary}
              -DINCLUDE=${CROWDSIFT_PACKAGING_DIR}/${target}.h2m -DOUTPUT=${page} -DVERBS=${verbs}
              -P ${CROWDSIFT_PACKAGING_DIR}/ManPage.cmake
      DEPENDS ${depends} ${CROWDSIFT_PACKAGING_DIR}/ManPage.cmake ${CROWDSIFT_PACKAGING_DIR}/${target}.h2m
      COMMENT "Writing the man page of ${target} from its --help"
      VERBATIM)
    set(CROWDSIFT_PACKAGE_FILES ${CROWDSIFT_PACKAGE_FILES} ${page} PARENT_SCOPE)
    install(FILES ${page} DESTINATION share/man/man1)
  endfunction()

  set(CROWDSIFT_PACKAGE_FILES)
  crowdsift_man_page(crowdsift-cli "aggregate, inspect and curate crowdsourced image labels" VERBS)
  if(CROWDSIFT_BUILD_GUI)
    crowdsift_man_page(crowdsift "curate crowdsourced image-classification labels (desktop application)")
    foreach(size 48 128)
      set(png ${CROWDSIFT_PACKAGING_OUT}/icons/${size}x${size}/crowdsift.png)
      add_custom_command(OUTPUT ${png}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CROWDSIFT_PACKAGING_OUT}/icons/${size}x${size}
        COMMAND ${CROWDSIFT_RSVG_CONVERT} --width ${size} --height ${size} --output ${png}
                ${CMAKE_SOURCE_DIR}/resources/icons/crowdsift.svg
        DEPENDS ${CMAKE_SOURCE_DIR}/resources/icons/crowdsift.svg
        COMMENT "Drawing the ${size}x${size} icon"
        VERBATIM)
      list(APPEND CROWDSIFT_PACKAGE_FILES ${png})
      install(FILES ${png} DESTINATION share/icons/hicolor/${size}x${size}/apps)
    endforeach()
  endif()
  set(changelog ${CROWDSIFT_PACKAGING_OUT}/changelog.gz)
  add_custom_command(OUTPUT ${changelog}
    COMMAND ${CROWDSIFT_GZIP} -9nc ${CROWDSIFT_PACKAGING_DIR}/changelog > ${changelog}
    DEPENDS ${CROWDSIFT_PACKAGING_DIR}/changelog
    VERBATIM)
  list(APPEND CROWDSIFT_PACKAGE_FILES ${changelog})
  # Not part of `all`: the man pages run every verb's --help, LibTorch loads included.
  add_custom_target(crowdsift_package_data DEPENDS ${CROWDSIFT_PACKAGE_FILES})
  add_dependencies(crowdsift_package crowdsift_package_data)
  install(FILES ${changelog} ${CROWDSIFT_PACKAGING_DIR}/copyright DESTINATION share/doc/crowdsift)
endif()

if(CROWDSIFT_BUILD_GUI)
  install(FILES ${CMAKE_SOURCE_DIR}/resources/crowdsift.desktop DESTINATION share/applications)
  install(FILES ${CMAKE_SOURCE_DIR}/resources/crowdsift.metainfo.xml DESTINATION share/metainfo)
  # The project file type (.csift), which the desktop entry opens.
  install(FILES ${CMAKE_SOURCE_DIR}/resources/crowdsift-mime.xml DESTINATION share/mime/packages RENAME crowdsift.xml)
  install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/crowdsift.svg DESTINATION share/icons/hicolor/scalable/apps)
endif()

set(CPACK_PACKAGE_NAME "crowdsift")
set(CPACK_PACKAGE_VENDOR "Crowdsift")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "curate crowdsourced image-classification labels")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Crowdsift developers")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Debian's long description; CPack puts the summary line before it and indents it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Crowdsift reads a crowdsourced image-classification dataset (peerannot folders,
long CSV files, label matrices, CIFAR-10H, Rodrigues files), aggregates the
annotators' votes (majority vote, Dawid-Skene, GLAD, WAWA and more), trains
models on the consensus (LibTorch, CPU) and shows the images that need a second
look, so that a curator can relabel them from the keyboard.

The package holds the Qt 6 desktop application (crowdsift) and the
command-line tool (crowdsift-cli), which work on the same project files.")
# Depends: the shared libraries the installed executables really link (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Plus what is loaded at run time rather than linked: the GUI's SVG icons need Qt's SVG icon engine.
if(CROWDSIFT_BUILD_GUI)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6")
endif()
# LibTorch links the generic BLAS; OpenBLAS makes its matrix products several times faster.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-pthread")
# crowdsift-cli demo builds its dataset from Debian's Fashion-MNIST.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
