# cmake -DINPUT=FILE -DOUTPUT=HEADER -DNAME=SYMBOL -P embed_file.cmake
# Writes HEADER with `inline constexpr unsigned char SYMBOL[] = {...};`
# holding FILE's bytes (no xxd needed). The header is rewritten only when
# its content changes.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x..," 16 row)  # CMake's regex has no {16}
string(REGEX REPLACE "(${row})" "\\1\n    " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${name} by cmake/embed_file.cmake; do not edit.\n"
  "#pragma once\n\n"
  "inline constexpr unsigned char ${NAME}[] = {\n    ${bytes}\n};\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
