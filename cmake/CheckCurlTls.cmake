# libcurl must do TLS with OpenSSL 3, the major version found above (agent/tls_backend.h): checked
# at configure time too, so a build against a libcurl on GnuTLS, NSS, mbedTLS or wolfSSL stops here
# with the reason instead of producing a binary that refuses every connection. Skipped when
# cross-compiling (the binary checks again at start).
if(CMAKE_CROSSCOMPILING OR DEFINED TRUSTAGENT_CURL_TLS)
  return()
endif()
set(_probe "${CMAKE_BINARY_DIR}/CMakeFiles/curl_tls_probe.c")
file(WRITE "${_probe}" "
#include <curl/curl.h>
#include <stdio.h>
int main(void) {
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  printf(\"%s\", v && v->ssl_version ? v->ssl_version : \"none\");
  return 0;
}
")
try_run(_run _compiled "${CMAKE_BINARY_DIR}" "${_probe}"
        CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${CURL_INCLUDE_DIRS}"
        LINK_LIBRARIES ${CURL_LIBRARIES}
        COMPILE_OUTPUT_VARIABLE _compile_output
        RUN_OUTPUT_VARIABLE _tls)
if(NOT _compiled OR NOT _run EQUAL 0)
  message(WARNING "could not run a libcurl probe; the TLS backend is checked when trustagent starts")
  return()
endif()
string(REGEX MATCH "^([0-9]+)" _linked_major "${OPENSSL_VERSION}")
string(REGEX MATCH "^OpenSSL/([0-9]+)" _openssl "${_tls}")
if(NOT _openssl OR NOT CMAKE_MATCH_1 EQUAL _linked_major)
  message(FATAL_ERROR "libcurl (${CURL_LIBRARIES}) does TLS with '${_tls}', not OpenSSL "
                      "${_linked_major}: trustagent hands libcurl its store as OpenSSL "
                      "objects. Install libcurl's OpenSSL flavour (Debian/Ubuntu libcurl4-openssl-dev, "
                      "RHEL libcurl-devel).")
endif()
set(TRUSTAGENT_CURL_TLS "${_tls}" CACHE INTERNAL "libcurl's TLS library, checked")
message(STATUS "libcurl does TLS with ${_tls}")
