# nexus_generate(TARGET <target> FILES <schema.nidl>... [INCLUDE_DIRS <dir>...])
#
# Runs nexus-idlc (Nexus::idlc) on each schema and adds the generated
# <name>.nidl.c to <target>'s sources; the generated headers'
# directory goes on <target>'s include path (PUBLIC, so that programs
# linking a library of generated code find them), and <target> links
# Nexus::nexus unless it already links Nexus::nexus_static.
#
# List every schema the target uses, imported ones included (as
# ${NEXUS_SCHEMA_DIR}/common/time.nidl): a generated header includes the
# headers of its imports by name. Imports are searched in the schema's
# folder, then in INCLUDE_DIRS, then in NEXUS_SCHEMA_DIR. Each schema is
# regenerated when it, a schema it imports (nexus-idlc --depfile) or
# nexus-idlc changes.
#
# Generate a schema once per project: put the generated code in a static
# library and link it from every program that uses it.
#
# It calls target_link_libraries(<target> PUBLIC ...): link <target> with
# the keyword forms (PRIVATE, PUBLIC, INTERFACE) too, as CMake refuses to
# mix them with the plain form on one target.
function(nexus_generate)
  cmake_parse_arguments(PARSE_ARGV 0 _ng "" "TARGET" "FILES;INCLUDE_DIRS")
  if(NOT _ng_TARGET)
    message(FATAL_ERROR "nexus_generate: TARGET <target> is required")
  endif()
  if(NOT TARGET "${_ng_TARGET}")
    message(FATAL_ERROR "nexus_generate: '${_ng_TARGET}' is not a target")
  endif()
  if(NOT _ng_FILES)
    message(FATAL_ERROR "nexus_generate: FILES <schema.nidl>... is required")
  endif()
  if(_ng_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nexus_generate: unknown arguments: ${_ng_UNPARSED_ARGUMENTS}")
  endif()

  set(_out "${CMAKE_CURRENT_BINARY_DIR}/nexus_generated/${_ng_TARGET}")
  file(MAKE_DIRECTORY "${_out}")
  set(_incs "")
  foreach(_dir IN LISTS _ng_INCLUDE_DIRS)
    get_filename_component(_dir "${_dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _incs -I "${_dir}")
  endforeach()
  list(APPEND _incs -I "${NEXUS_SCHEMA_DIR}")

  set(_sources "")
  foreach(_file IN LISTS _ng_FILES)
    get_filename_component(_abs "${_file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(_name "${_abs}" NAME)
    string(REGEX REPLACE "\\.nidl$" "" _base "${_name}")
    set(_h "${_out}/${_base}.nidl.h")
    set(_c "${_out}/${_base}.nidl.c")
    set(_d "${_out}/${_base}.nidl.d")
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.20 OR CMAKE_GENERATOR MATCHES "Ninja")
      set(_depfile DEPFILE "${_d}")
    else()
      set(_depfile "")
    endif()
    add_custom_command(
      OUTPUT "${_h}" "${_c}"
      COMMAND Nexus::idlc ${_incs} --depfile "${_d}" -o "${_out}" "${_abs}"
      DEPENDS "${_abs}" Nexus::idlc
      ${_depfile}
      COMMENT "nexus-idlc ${_name}"
      VERBATIM)
    list(APPEND _sources "${_h}" "${_c}")
  endforeach()

  target_sources("${_ng_TARGET}" PRIVATE ${_sources})
  target_include_directories("${_ng_TARGET}" PUBLIC "${_out}")
  get_target_property(_links "${_ng_TARGET}" LINK_LIBRARIES)
  if(NOT "Nexus::nexus_static" IN_LIST _links)
    target_link_libraries("${_ng_TARGET}" PUBLIC Nexus::nexus)
  endif()
endfunction()
