import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { useApi } from './transport/index.ts';
import { useConnectionStore } from './stores/connection.ts';
import './styles/base.css';

const app = createApp(App);
app.use(createPinia());
useConnectionStore().follow();

// A handle for support and end-to-end tests, only when asked for: roles are
// enforced by the hub, so this gives a page nothing it could not send anyway.
try {
  if (localStorage.getItem('ketang.debug') === '1') (window as unknown as { ketangApi: unknown }).ketangApi = useApi();
} catch {
  // storage unavailable
}

app.mount('#app');
