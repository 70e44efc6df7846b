// The project (and Cloud Run region) a developer already chose with `gcloud config set project`,
// read from gcloud's own configuration files, without running gcloud: CLOUDSDK_CONFIG (else
// ~/.config/gcloud, %APPDATA%\gcloud on Windows), the active configuration named by
// CLOUDSDK_ACTIVE_CONFIG_NAME or the file `active_config`, and its INI file
// `configurations/config_NAME` ([core] project, [run] region). Missing or unreadable: nothing.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GcloudConfig {
  project?: string;
  region?: string;
  configuration?: string;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `key` of `[section]` in an INI text (gcloud writes `key = value`). */
function iniValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1].trim();
      continue;
    }
    const kv = /^([^=#;]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && current === section && kv[1] === key) return kv[2].trim() || undefined;
  }
  return undefined;
}

export function gcloudConfig(env: NodeJS.ProcessEnv = process.env): GcloudConfig {
  const dir =
    env.CLOUDSDK_CONFIG?.trim() ||
    (process.platform === 'win32' && env.APPDATA
      ? path.join(env.APPDATA, 'gcloud')
      : path.join(env.HOME || os.homedir(), '.config', 'gcloud'));
  const name = env.CLOUDSDK_ACTIVE_CONFIG_NAME?.trim() || read(path.join(dir, 'active_config'))?.trim() || 'default';
  const text = read(path.join(dir, 'configurations', `config_${name}`));
  if (!text) return {};
  const project = iniValue(text, 'core', 'project');
  const region = iniValue(text, 'run', 'region');
  return { configuration: name, ...(project ? { project } : {}), ...(region ? { region } : {}) };
}
