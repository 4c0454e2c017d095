# packaging/deb.cmake - the Debian package (`cd build && cpack -G DEB`), included by the top
# CMakeLists.txt after the install rules of the tools. What lintian asks of a package: a DEP-5
# copyright file and a changelog in /usr/share/doc/capa, an extended description, a real
# maintainer address, stripped binaries, gzipped man pages, root-owned 0755/0644 files and
# maintainer scripts. The postinst makes the `capa` system user and /var/lib/capa and enables
# the systemd units; .ci/deb installs the package and checks all of it (docs/install.md).

set(CAPA_DEB_MAINTAINER "capa maintainers <maintainers@users.noreply.h-seed-9bc72ae3.example>"
  CACHE STRING "Maintainer field of the Debian package (and its changelog's signature)")

# systemd units, from docs/ (where they are documented). Installed under /lib/systemd/system
# (Debian 12's place for a package's units) in the package only: a plain `cmake --install`
# into a prefix leaves the system's unit directory alone (component `systemd`, not in ALL).
# A unit with an [Install] section is enabled by the postinst, started when systemd runs, and
# stopped/masked/purged by prerm/postrm. A new unit is one line here.
set(CAPA_SYSTEMD_UNITS
  docs/capa-serve.service
  docs/capa-escalate.service
  docs/capa-escalate.timer
  docs/capa-publish.service
  docs/capa-publish.timer
  docs/capa-deliver.service
  docs/capa-deliver.timer
)
set(CAPA_DEB_UNITS "")
foreach(unit ${CAPA_SYSTEMD_UNITS})
  file(READ ${PROJECT_SOURCE_DIR}/${unit} _text)
  get_filename_component(_name ${unit} NAME)
  if(_text MATCHES "\n\\[Install\\]")
    list(APPEND CAPA_DEB_UNITS ${_name})
  endif()
  install(FILES ${unit} DESTINATION /lib/systemd/system COMPONENT systemd EXCLUDE_FROM_ALL)
endforeach()
string(REPLACE ";" " " CAPA_DEB_UNITS "${CAPA_DEB_UNITS}")

# The changelog's version must be the project's (lintian and dpkg read it).
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/changelog.in _first LIMIT_COUNT 1)
if(NOT _first MATCHES "^capa \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog.in starts with '${_first}', "
    "not an entry for capa ${PROJECT_VERSION}: add one")
endif()

set(_pkg ${PROJECT_BINARY_DIR}/packaging)
string(TIMESTAMP CAPA_MAN_DATE "%Y-%m-%d" UTC)
foreach(f postinst prerm postrm changelog capa.1 capa-serve.1)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/${f}.in ${_pkg}/${f} @ONLY)
endforeach()
file(CHMOD ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm PERMISSIONS OWNER_READ OWNER_WRITE
  OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# Man pages and the changelog gzipped with -9n (no name, no time: reproducible).
find_program(GZIP_PROGRAM gzip REQUIRED)
set(_gz "")
foreach(f capa.1 capa-serve.1 changelog)
  add_custom_command(OUTPUT ${_pkg}/${f}.gz
    COMMAND ${GZIP_PROGRAM} -9nc ${_pkg}/${f} > ${_pkg}/${f}.gz
    DEPENDS ${_pkg}/${f} VERBATIM)
  list(APPEND _gz ${_pkg}/${f}.gz)
endforeach()
add_custom_target(capa_packaging ALL DEPENDS ${_gz})

include(GNUInstallDirs)
install(FILES ${_pkg}/capa.1.gz ${_pkg}/capa-serve.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES packaging/copyright ${_pkg}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME capa)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CAPA_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CAPA_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "8D/CAPA quality records with e-signatures and audit trail")
# The extended description, as the control file shows it (CPack indents it): lines under 80.
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "capa keeps the records of a plant's quality anomalies and customer complaints\n"
  "from intake to closing, the 8D way: every stage is a form, every hand-over an\n"
  "electronic signature (user and password, printed name, role, meaning, time,\n"
  "hash of the data signed), every change an event of a hash-chained audit trail\n"
  "in one LMDB database. Stages, forms, roles and time limits are data (XML), not\n"
  "code; labels are Chinese and English.\n"
  "\n"
  "The package holds the capa command-line tool, capa-serve (the web UI and JSON\n"
  "API, serving HTTPS itself), signed PDF dossiers and monthly reports, the\n"
  "default forms and schemas, and systemd units for the web server and the\n"
  "escalation timer, run as the capa system user on the store in /var/lib/capa.")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The Debian 12 runtime packages of what capa links (checked by .ci/install), and adduser for
# the postinst (deb-systemd-helper comes with init-system-helpers, which is essential).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "adduser, liblmdb0, libxml2, libjansson4, libssl3, libhpdf-2.3.0, libpng16-16, libqrencode4, libxlsxwriter4, libzstd1, libmicrohttpd12, libgnutls30, libxslt1.1, libcsv3, libzip4, libcurl4, libpq5, libc6")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "fonts-wqy-zenhei, poppler-utils")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
# Everything (the default component) and the systemd units, which `cmake --install` skips.
set(CPACK_INSTALL_CMAKE_PROJECTS
  "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/"
  "${PROJECT_BINARY_DIR};${PROJECT_NAME};systemd;/")
include(CPack)
