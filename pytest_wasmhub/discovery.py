"""Keep the module path out of pytest's rootdir and ini-file discovery.

pytest finds its rootdir and ini file from the command line's paths *before* it loads plugins, so it
cannot yet know that the word after ``--wasm`` is an option's value: ``pytest --wasm ../other/m.wasm``
makes ``../other`` (and a ``pyproject.toml`` there) part of the discovery; that project's ini options
apply, and the author's test ids become ``../../other/project::test_x``. Once the plugin's options are
known, discovery is done again from the real paths, and its result replaces the first one: rootdir,
ini values, ``addopts``, ``pythonpath`` and the conftest cut-off directory.

This reaches into pytest's private configuration state (there is no public way to redo discovery);
it runs only when the two discoveries differ.
"""

from __future__ import annotations

import copy

import pytest
from _pytest.config.findpaths import determine_setup, parse_override_ini


def rediscover(config: pytest.Config, args: list[str]) -> None:
    """Redo rootdir and ini discovery without option values; call from ``pytest_load_initial_conftests``
    with its ``args`` (the command line with ``addopts`` in front, changed in place)."""
    namespace = config.known_args_namespace
    if namespace.rootdir or namespace.inifilename:
        return  # chosen explicitly: nothing was guessed from the module path
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=None,
        override_ini=namespace.override_ini,
        args=namespace.file_or_dir,
        rootdir_cmd_arg=None,
        invocation_dir=config.invocation_params.dir,
    )
    if (rootpath, inipath) == (config.rootpath, config.inipath):
        return
    old_addopts = list(config.getini("addopts"))
    if args[: len(old_addopts)] != old_addopts:
        return  # not the command line pytest built: leave it alone
    old_cut = str(config.inipath.parent if config.inipath is not None else config.rootpath)
    config._unconfigure_python_path()
    config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
    config._ignored_config_files = ignored
    config._inicache.clear()
    config._parser.extra_info["rootdir"] = str(rootpath)
    config._parser.extra_info["inifile"] = str(inipath)
    new_addopts = list(config.getini("addopts"))
    args[: len(old_addopts)] = new_addopts
    config.known_args_namespace = namespace = config._parser.parse_known_args(
        args, namespace=copy.copy(config.option)
    )
    if overrides := parse_override_ini(namespace.override_ini):
        config._inicfg.update(overrides)
        config._inicache.clear()
    config._configure_python_path()
    config.pluginmanager.consider_preparse(new_addopts, exclude_only=False)  # its -p plugins
    if namespace.confcutdir is None or namespace.confcutdir == old_cut:
        namespace.confcutdir = str(inipath.parent if inipath is not None else rootpath)
