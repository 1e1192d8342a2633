# Writes the man page of one executable from its own --help (help2man), so that the page says
# what the program built with it does. The page is named NAME (the GUI's --version says "Crowdsift"). Run as a build step (packaging/CPackConfig.cmake):
#   cmake -DHELP2MAN=... -DGZIP=... -DPROGRAM=<executable> -DNAME=<name> -DVERSION=<version> -DSUMMARY=<one line>
#         -DINCLUDE=<file.h2m> -DOUTPUT=<name.1.gz> [-DVERBS=ON] -P ManPage.cmake
# VERBS=ON adds a VERBS section with `<name> <verb> --help` of every verb listed under
# "Subcommands:" in the top-level help (CLI11), the handed-over ones included.
foreach(var HELP2MAN GZIP PROGRAM NAME VERSION SUMMARY INCLUDE OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ManPage.cmake: ${var} is not set")
  endif()
endforeach()

# The GUI builds its QApplication before it answers --help.
set(ENV{QT_QPA_PLATFORM} offscreen)
get_filename_component(work "${OUTPUT}" DIRECTORY)
# ... and warns on stderr without a runtime folder of its own.
file(MAKE_DIRECTORY "${work}/runtime")
file(CHMOD "${work}/runtime" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(ENV{XDG_RUNTIME_DIR} "${work}/runtime")
set(page "${work}/${NAME}.1")
set(include "${work}/${NAME}.h2m")
file(READ "${INCLUDE}" include_text)

# roff: backslashes and hyphens escaped, a line that starts with . or ' kept as text.
function(roff_text text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

if(VERBS)
  execute_process(COMMAND "${PROGRAM}" --help OUTPUT_VARIABLE help RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} --help failed (${status})")
  endif()
  string(REGEX REPLACE ".*\nSubcommands:\n" "" listing "${help}")
  string(REGEX MATCHALL "(^|\n)  [a-z][a-z0-9-]*" verbs "${listing}")
  roff_text("Each verb has its own options, which `${NAME} VERB --help' prints:\n" section)
  set(section "[VERBS]\n${section}")
  foreach(verb ${verbs})
    string(STRIP "${verb}" verb)
    execute_process(COMMAND "${PROGRAM}" ${verb} --help OUTPUT_VARIABLE verb_help RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "${PROGRAM} ${verb} --help failed (${status})")
    endif()
    # CLI11 prints argv[0] in the usage line: the build path, not the installed name.
    string(REPLACE "Usage: ${PROGRAM} " "Usage: ${NAME} " verb_help "${verb_help}")
    roff_text("${verb_help}" verb_help)
    string(APPEND section ".SS ${verb}\n.nf\n${verb_help}.fi\n")
  endforeach()
  string(APPEND include_text "\n${section}")
endif()
file(WRITE "${include}" "${include_text}")

execute_process(COMMAND "${HELP2MAN}" --no-info --version-string "${VERSION}" --name "${SUMMARY}" --include "${include}"
                        --output "${page}" "${PROGRAM}"
                RESULT_VARIABLE status ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "help2man ${PROGRAM} failed: ${errors}")
endif()
# help2man names the program as it was called: the build path in the usage line.
file(READ "${page}" text)
get_filename_component(program_dir "${PROGRAM}" DIRECTORY)
roff_text("${program_dir}/" escaped_dir)
string(REPLACE "${escaped_dir}" "" text "${text}")
string(REPLACE "${program_dir}/" "" text "${text}")
file(WRITE "${page}" "${text}")
# Debian wants man pages compressed with gzip -9 and no name or time stamp in them (-n).
execute_process(COMMAND "${GZIP}" -9nf "${page}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed")
endif()
