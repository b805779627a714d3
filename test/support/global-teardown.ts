import { adminKnex } from './pg';

export default async function globalTeardown(): Promise<void> {
  const admin = adminKnex();
  try {
    await admin.raw(`DROP DATABASE IF EXISTS brickyard_tpl_${process.pid} WITH (FORCE)`);
  } finally {
    await admin.destroy();
  }
}
