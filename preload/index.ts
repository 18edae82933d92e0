/**
 * Preload script of every Ketang window (sandboxed, context-isolated): puts
 * `window.ketang` (common/desktop-api.ts) in the page and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeKetangApi } from './api.ts';

exposeKetangApi(contextBridge, ipcRenderer);
