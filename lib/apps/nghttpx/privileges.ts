/**
 * `--user`: the account nghttpx's workers run as once the listening sockets are bound ("intended
 * to be used to drop root privileges"). The name is looked up when the option is read, as the
 * reference does (getpwnam); the switch happens in each worker process, or in the one process
 * under `--single-process`, after binding.
 */
import fs = require('fs');
import { UsageError } from '../common/units';

/** An account: its name, user id and primary group id. */
export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Find `name` (or a numeric uid) in the password database file. Node has no getpwnam; its
 * process.setuid resolves names itself, but too late to refuse a bad option at start-up.
 */
export function lookupUser(name: string, passwd = '/etc/passwd'): UserIds {
  let text = '';
  try {
    text = fs.readFileSync(passwd, 'utf8');
  } catch {
    // No database to read: the name cannot be resolved (the error below says so).
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || (f[0] !== name && f[2] !== name)) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name: f[0], uid, gid };
  }
  throw new UsageError(`user: failed to get uid from ${name}`);
}

/**
 * Become `user` for good: supplementary groups, group, then user (the order that keeps the right
 * to change each). As the reference, only a process running as root changes: any other has no
 * privileges to drop and stays who it is.
 */
export function dropPrivileges(user: UserIds): void {
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function') return;
  if (process.getuid?.() !== 0 || user.uid === 0) return;
  (process as { initgroups?(user: string, group: number): void }).initgroups?.(user.name, user.gid);
  process.setgid(user.gid);
  process.setuid(user.uid);
}
