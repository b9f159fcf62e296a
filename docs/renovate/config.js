// Self-hosted Renovate, global configuration: what lets the copier manager update
// .copier-answers.python-upgrade.yml to a new release of copier-python-upgrade.
// Checked by tests/test_renovate.py with Renovate 44 (renovate-config-validator, then a run).
module.exports = {
  // The template loads Jinja extensions, which copier runs only with --trust. Renovate adds
  // --trust when this is true and the repository sets ignoreScripts: false for the copier manager
  // (renovate.json beside this file). Repositories that do not opt in stay untrusted.
  allowScripts: true,
  // copier runs from the image's PATH, with the extensions' loader installed beside it:
  //   pipx install copier==9.19.1 && pipx inject copier copier-template-extensions==0.3.4
  // (Renovate's own tool installer would fetch copier alone, without the loader.)
  binarySource: "global",
};
