/**
 * The groups contract (终端分组): the groups of a running class, how devices
 * are put into them (by hand, at random, from the roster, from a grouping
 * saved for the class), whether students may join without picking a name,
 * and the Audience shape other features (content push, screen sharing,
 * attention control, quizzes) use to say who something is for.
 *
 * Membership is kept by student id for students (a student who rejoins from
 * another tablet stays in their group, and a saved grouping works next
 * lesson) and by device id for group screens and anonymous devices.
 */
import { z } from 'zod';
import { Id, Name, Ok, op, type EventSpec } from './base.ts';

/** #rrggbb, shown as the group's colour on every screen. */
export const GroupColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour: #rrggbb');

export const Group = z.object({
  id: Id,
  name: Name,
  color: GroupColor,
  /** Students in the group, whatever device they use. */
  studentIds: z.array(Id).max(200),
  /** Group screens and anonymous devices in the group. */
  deviceIds: z.array(Id).max(200),
});
export type Group = z.infer<typeof Group>;

export const GroupsState = z.object({
  rev: z.number().int().min(0),
  groups: z.array(Group).max(24),
  /** Students may join without picking their name from the roster. */
  anonymousAllowed: z.boolean(),
});
export type GroupsState = z.infer<typeof GroupsState>;

/** A grouping saved for a class, reusable next lesson (students by id). */
export const SavedGrouping = z.object({
  id: Id,
  classId: Id,
  name: Name,
  createdAt: z.string(),
  groups: z.array(z.object({ name: Name, color: GroupColor, studentIds: z.array(Id).max(200) })).max(24),
});
export type SavedGrouping = z.infer<typeof SavedGrouping>;

/**
 * Who something is for. `all` is every joined device (students and group
 * screens; not the console or the board); `group` its students' devices and
 * its group screens; `device` one device.
 */
export const Audience = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('group'), groupId: Id }).strict(),
  z.object({ kind: z.literal('device'), deviceId: Id }).strict(),
]);
export type Audience = z.infer<typeof Audience>;

/** The group a device is in, as that device sees it. */
export const MyGroup = z.object({ group: Group.pick({ id: true, name: true, color: true }).nullable() });
export type MyGroup = z.infer<typeof MyGroup>;

const GroupCount = z.number().int().min(1).max(24);

export const groupsOperations = {
  'groups.get': op({
    roles: ['teacher', 'board'],
    input: z.object({}).strict(),
    output: GroupsState,
    doc: 'The groups of the running class.',
  }),
  'groups.create': op({
    roles: ['teacher'],
    input: z.object({ name: Name.optional(), color: GroupColor.optional() }).strict(),
    output: GroupsState,
    doc: 'Add an empty group. Without a name it is the first free 第一组, 第二组 … (the names 随机分组 and 按名单分组 give, so one class never mixes 第1组 and 第一组); a colour is picked when none is given.',
  }),
  'groups.update': op({
    roles: ['teacher'],
    input: z.object({ groupId: Id, name: Name.optional(), color: GroupColor.optional() }).strict(),
    output: GroupsState,
    doc: "Rename a group or change its colour.",
  }),
  'groups.remove': op({
    roles: ['teacher'],
    input: z.object({ groupId: Id }).strict(),
    output: GroupsState,
    doc: 'Delete a group; its members become ungrouped and its points go with it (the console asks first).',
  }),
  'groups.assign': op({
    roles: ['teacher'],
    input: z.object({ deviceId: Id, groupId: Id.nullable() }).strict(),
    output: GroupsState,
    doc: 'Put a device into a group (null: out of every group). A student device moves its student; a group screen belongs to one group.',
  }),
  'groups.random': op({
    roles: ['teacher'],
    input: z.object({ count: GroupCount }).strict(),
    output: GroupsState,
    doc: 'Replace the groups with `count` new groups and deal the joined students into them at random, sizes differing by at most one. Only students are dealt: a group screen stays at the place it had (its group\'s position, or the group named like it), and screens not in a group fill groups without one, one per group.',
  }),
  'groups.fromRoster': op({
    roles: ['teacher'],
    input: z.object({ count: GroupCount }).strict(),
    output: GroupsState,
    doc: 'Replace the groups with `count` groups of consecutive students in roster order (student number), whether they joined or not.',
  }),
  'groups.save': op({
    roles: ['teacher'],
    input: z.object({ name: Name }).strict(),
    output: SavedGrouping,
    doc: "Save the current grouping (names, colours, students) for this class, to apply next lesson.",
  }),
  'groups.saved': op({
    roles: ['teacher'],
    input: z.object({}).strict(),
    output: z.array(SavedGrouping),
    doc: "Groupings saved for the running class's class, newest first.",
  }),
  'groups.apply': op({
    roles: ['teacher'],
    input: z.object({ groupingId: Id }).strict(),
    output: GroupsState,
    doc: 'Replace the groups with a saved grouping; students are placed by student id on whatever device they use.',
  }),
  'groups.deleteSaved': op({
    roles: ['teacher'],
    input: z.object({ groupingId: Id }).strict(),
    output: Ok,
    doc: 'Forget a saved grouping.',
  }),
  'join.allowAnonymous': op({
    roles: ['teacher'],
    input: z.object({ allow: z.boolean() }).strict(),
    output: GroupsState,
    doc: 'Let students join without picking their name (匿名), or require the roster again (实名制, the default). Devices already joined stay.',
  }),
} as const;

export const groupsEvents = {
  'groups.changed': { payload: GroupsState, to: ['teacher', 'board'] as const, doc: 'The groups after any change.' },
  'groups.mine': { payload: MyGroup, to: ['student', 'group'] as const, doc: "The group this device is in, sent on join/resume and whenever it changes." },
} as const satisfies Record<string, EventSpec>;
