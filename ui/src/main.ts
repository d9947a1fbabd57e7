import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

async function boot(): Promise<void> {
  // In `vite dev` outside the shell there is no backend: a fake one makes the UI usable in a
  // browser. The import is compiled out of production builds (import.meta.env.DEV is false).
  if (import.meta.env.DEV && !('__TAURI_INTERNALS__' in window)) {
    const { installDevBackend } = await import('./dev/fake-backend');
    installDevBackend();
  }
  const target = document.getElementById('app');
  if (!target) throw new Error('#app missing from index.html');
  mount(App, { target });
}

void boot();
