# Arrow and Parquet C++ come from the pinned pyarrow wheel in .venv (Debian 12 ships neither).
# The wheel has no CMake config, so we ask its Python for the paths and declare IMPORTED
# targets with full library paths. See docs/impl.md "Build".
set(FST_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python with the pinned pyarrow")
execute_process(
  COMMAND "${FST_PYTHON}" -c "import pyarrow as pa; v=pa.__version__.split('.'); print(pa.get_include()); print(pa.get_library_dirs()[0]); print(int(v[0])*100+int(v[1]))"
  OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow not found with ${FST_PYTHON}: run scripts/setup first")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 FST_ARROW_INCLUDE)
list(GET _pa_lines 1 FST_ARROW_LIBDIR)
list(GET _pa_lines 2 FST_ARROW_SOVERSION)
message(STATUS "Arrow ${FST_ARROW_SOVERSION} from ${FST_ARROW_LIBDIR}")

function(fst_import_arrow_lib target libname)
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${FST_ARROW_LIBDIR}/lib${libname}.so.${FST_ARROW_SOVERSION}"
    IMPORTED_SONAME "lib${libname}.so.${FST_ARROW_SOVERSION}"
    INTERFACE_INCLUDE_DIRECTORIES "${FST_ARROW_INCLUDE}")
endfunction()
fst_import_arrow_lib(fst_arrow arrow)
fst_import_arrow_lib(fst_arrow_compute arrow_compute)
fst_import_arrow_lib(fst_parquet parquet)
set_property(TARGET fst_arrow_compute PROPERTY INTERFACE_LINK_LIBRARIES fst_arrow)
set_property(TARGET fst_parquet PROPERTY INTERFACE_LINK_LIBRARIES fst_arrow)
