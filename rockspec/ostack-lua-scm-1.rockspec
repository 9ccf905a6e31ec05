-- LuaRocks package: builds the C core with CMake against the system's
-- libcurl, OpenSSL and Lua 5.4, and installs the openstack module (Lua files
-- and openstack/core.so) and the ostack-lua interpreter.
rockspec_format = "3.0"
package = "ostack-lua"
version = "scm-1"
source = {
  url = "git+https://github.com/ostack-lua/ostack-lua.git",
}
description = {
  summary = "An OpenStack SDK for Lua 5.4 with a C core",
  detailed = [[
Compute, block storage and image APIs as idiomatic Lua (lazy iterators,
resources as tables, waits), over a libcurl core with pooled keep-alive
connections, Keystone auth, catalog and version discovery, microversions,
pagination, retries and structured errors. Includes the ostack-lua
interpreter.]],
  homepage = "https://github.com/ostack-lua/ostack-lua",
  license = "Apache-2.0",
  labels = { "openstack", "cloud", "sdk" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  CURL = { library = "curl" },
  OPENSSL = { library = "crypto" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    OSTACK_LUA_CMOD_DIR = "$(LIBDIR)",
    OSTACK_LUA_LMOD_DIR = "$(LUADIR)",
    CMAKE_INSTALL_BINDIR = "$(BINDIR)",
    OSTACK_INSTALL_LIBRARY = "OFF",
  },
}
