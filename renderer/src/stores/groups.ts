/**
 * The groups of the running class (终端分组), as the console and the board
 * see them, and the group this device is in, as a tablet sees it.
 */
import { defineStore } from 'pinia';
import type { Group, GroupsState, MyGroup, SavedGrouping } from '../../../common/contract/groups.ts';
import type { OperationName, OpInput } from '../../../common/protocol.ts';
import { isApiError, useApi, type ClientErrorCode } from '../transport/index.ts';

interface State {
  state: GroupsState | null;
  saved: SavedGrouping[];
  mine: MyGroup['group'];
  busy: boolean;
  error: ClientErrorCode | null;
}

let unbind: (() => void) | null = null;

export const useGroupsStore = defineStore('groups', {
  state: (): State => ({ state: null, saved: [], mine: null, busy: false, error: null }),
  getters: {
    groups: (s): Group[] => s.state?.groups ?? [],
  },
  actions: {
    /** Listen to the hub (once). The console and board also fetch, since events sent before this ran are gone. */
    bind(fetch: boolean) {
      const api = useApi();
      if (!unbind) {
        const offs = [
          // One socket delivers in order: the latest event is the state.
          api.on('groups.changed', (st) => {
            this.state = st;
          }),
          api.on('groups.mine', (m) => {
            this.mine = m.group;
          }),
          api.on('session.ended', () => {
            this.state = null;
            this.mine = null;
          }),
        ];
        if (fetch) offs.push(api.onStatus((s) => s.state === 'connected' && void this.refresh()));
        unbind = () => offs.forEach((off) => off());
      }
      if (fetch) void this.refresh();
    },
    async refresh() {
      try {
        this.state = await useApi().call('groups.get', {});
      } catch {
        // No class running (or not yet): the next groups.changed fills it in.
      }
    },
    /** Run a teacher operation that answers with the new groups. */
    async run<N extends 'groups.create' | 'groups.update' | 'groups.remove' | 'groups.assign' | 'groups.random' | 'groups.fromRoster' | 'groups.apply' | 'join.allowAnonymous'>(op: N, input: OpInput<N>): Promise<boolean> {
      this.error = null;
      try {
        this.state = (await useApi().call(op as OperationName, input as never)) as GroupsState;
        return true;
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
        return false;
      }
    },
    async loadSaved() {
      try {
        this.saved = await useApi().call('groups.saved', {});
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      }
    },
    async save(name: string) {
      this.error = null;
      try {
        await useApi().call('groups.save', { name });
        await this.loadSaved();
        return true;
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
        return false;
      }
    },
    async deleteSaved(groupingId: string) {
      try {
        await useApi().call('groups.deleteSaved', { groupingId });
        await this.loadSaved();
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      }
    },
  },
});
