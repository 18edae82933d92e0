/**
 * Wires the policy of ./policy.ts into Electron (architecture rule 6):
 * permission request/check handlers, the display-media handler, navigation
 * and window.open for every webContents the app creates.
 *
 * Electron's modules are passed in (main/index.ts gives the real session,
 * shell and desktopCapturer), so tests drive these handlers with fakes.
 */
import type { DesktopCapturer, Session, Shell, WebContents } from 'electron';
import type { Logger } from '../base/log.ts';
import { displayMediaDecision, navigationDecision, permissionDecision, windowOpenDecision } from './policy.ts';

export type SessionLike = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'setDisplayMediaRequestHandler'>;
export type WebContentsGuardable = Pick<WebContents, 'on' | 'setWindowOpenHandler' | 'closeDevTools'>;

export function hardenSession(ses: SessionLike, capturer: Pick<DesktopCapturer, 'getSources'>, appOrigin: string, log: Logger): void {
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const origin = details.requestingUrl || contents.getURL();
    const granted = permissionDecision(permission, origin, appOrigin);
    if (!granted) log.warn('permission denied', { permission, origin: origin.slice(0, 200) });
    callback(granted);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionDecision(permission, requestingOrigin, appOrigin));
  // Devices (USB, serial, HID) are never handed to pages.
  ses.setDevicePermissionHandler(() => false);

  ses.setDisplayMediaRequestHandler((request, callback) => {
    const deny = (): void => {
      try {
        callback(null);
      } catch {
        // the frame is already gone
      }
    };
    const decision = displayMediaDecision(
      {
        securityOrigin: request.securityOrigin,
        frameUrl: request.frame?.url ?? null,
        isMainFrame: request.frame !== null && request.frame.parent === null,
        videoRequested: request.videoRequested,
      },
      appOrigin,
    );
    if (decision === 'deny') {
      log.warn('screen capture denied', { origin: request.securityOrigin.slice(0, 200) });
      deny();
      return;
    }
    capturer
      .getSources({ types: ['screen'] })
      .then((sources) => {
        const screen = sources[0];
        if (!screen) return deny();
        try {
          callback({ video: screen });
        } catch {
          // the frame is already gone
        }
      })
      .catch((err: unknown) => {
        log.warn('screen capture failed', { error: (err as Error).message });
        deny();
      });
  });
}

/** `devTools`: policy.ts devToolsAllowed — false in every packaged build. */
export function hardenWebContents(contents: WebContentsGuardable, shell: Pick<Shell, 'openExternal'>, appOrigin: string, log: Logger, opts: { devTools: boolean } = { devTools: false }): void {
  if (!opts.devTools) {
    // webPreferences.devTools is off in the app's windows; this also covers any webContents made without them.
    contents.on('devtools-opened', () => {
      log.warn('DevTools closed: not allowed in this build');
      contents.closeDevTools();
    });
  }
  const guardNavigation = (event: { preventDefault(): void }, url: string): void => {
    if (navigationDecision(url, appOrigin) === 'allow') return;
    event.preventDefault();
    log.warn('navigation denied', { url: url.slice(0, 200) });
  };
  contents.on('will-navigate', (event, url) => guardNavigation(event, url));
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) guardNavigation(event, event.url);
  });
  contents.on('will-redirect', (event, url) => guardNavigation(event, url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url) === 'open-external') {
      shell.openExternal(url).catch((err: unknown) => log.warn('could not open link', { error: (err as Error).message }));
    } else {
      log.warn('window.open denied', { url: url.slice(0, 200) });
    }
    return { action: 'deny' };
  });
}
