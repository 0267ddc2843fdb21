import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  name: string;
};

export const BENCHTOP_VERSION: string = pkg.version;

/** Versions recorded in run start documents and shown by the System page. */
export function versions(): Record<string, string> {
  return { benchtop: BENCHTOP_VERSION, node: process.versions.node };
}
