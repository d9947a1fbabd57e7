// The system's save and open dialogs (tauri-plugin-dialog: GTK on Linux). They only choose a
// path: the shell's Export and Import commands write or read the file in Rust.
import { open, save } from '@tauri-apps/plugin-dialog';

export type FileFilter = { name: string; extensions: string[] };

/** Asks where to save, offering `defaultName`; null when the user cancels. */
export async function chooseSavePath(title: string, defaultName: string, filters: FileFilter[]): Promise<string | null> {
  const path = await save({ title, defaultPath: defaultName, filters });
  return path ?? null;
}

/** Asks for one file to open; null when the user cancels. */
export async function chooseOpenPath(title: string, filters: FileFilter[]): Promise<string | null> {
  const path = await open({ title, multiple: false, directory: false, filters });
  return typeof path === 'string' ? path : null;
}
