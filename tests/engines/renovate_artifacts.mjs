// Renovate's copier manager, artifact step, as Renovate runs it on its branch for a new template
// release: the global and repository configurations shipped in docs/renovate/ decide --trust
// (allowScripts, then ignoreScripts after packageRules for the copier manager), Renovate builds the
// `copier update` command, runs it in the repository and collects the changed files.
//
//   node renovate_artifacts.mjs RENOVATE_PACKAGE REPO ANSWERS_FILE NEW_TAG GLOBAL_CONFIG REPO_CONFIG
//
// Prints one JSON object: {"command", "ignoreScripts", "files": [{"path", "type"}], "errors": [stderr]}.
// A platform that Renovate can open pull requests on cannot run here (the `local` platform stops at
// lookups), so this drives the very module such a run calls, after the same git set-up.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const [renovate, repo, answersFile, newValue, globalConfigFile, repoConfigFile] = process.argv.slice(2);
const load = (path) => import(`${renovate}/dist/${path}`);

const logger = await load("logger/index.js");
await logger.init?.();
const { GlobalConfig } = await load("config/global.js");
const git = await load("util/git/index.js");
const { applyPackageRules } = await load("util/package-rules/index.js");
const { updateArtifacts } = await load("modules/manager/copier/artifacts.js");

const globalConfig = createRequire(import.meta.url)(globalConfigFile);
const repoConfig = JSON.parse(readFileSync(repoConfigFile, "utf8"));
// Copier reads its settings file from this variable (tests point it at an empty one); Renovate passes
// only variables it is told about to the commands it runs.
const customEnvVariables = process.env.COPIER_SETTINGS_PATH
  ? { COPIER_SETTINGS_PATH: process.env.COPIER_SETTINGS_PATH }
  : {};
GlobalConfig.set({ ...globalConfig, localDir: repo, cacheDir: `${repo}/.git/renovate-cache`, customEnvVariables });

const depConfig = await applyPackageRules({
  ignoreScripts: true, // Renovate's default
  ...repoConfig,
  manager: "copier",
  datasource: "git-tags",
  depType: "template",
  depName: "template",
  packageFile: answersFile,
  newValue,
});

await git.initRepo({ url: repo });
await git.syncGit();
const results = await updateArtifacts({
  packageFileName: answersFile,
  updatedDeps: [{ depName: "template", newValue }],
  newPackageFileContent: readFileSync(`${repo}/${answersFile}`, "utf8"),
  config: depConfig,
});
const out = { ignoreScripts: depConfig.ignoreScripts, files: [], errors: [] };
for (const result of results ?? []) {
  if (result.file) out.files.push({ path: result.file.path, type: result.file.type });
  if (result.artifactError) out.errors.push(result.artifactError.stderr);
}
console.log(JSON.stringify(out));
