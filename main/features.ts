/**
 * The feature registry: every feature of the classroom, listed once.
 *
 * ClassroomService (main/classroom/service.ts) merges the handlers of what
 * `classroomFeatures` returns and runs the hooks of every entry, so a feature
 * added here is wired completely; there is no second list to forget it in.
 * The check under it fails to compile, naming the operation, when an
 * operation of the protocol (common/protocol.ts) has no handler.
 */
import type { OperationName } from '../common/protocol.ts';
import { ClassroomService, type ClassroomOptions, type KernelOperation } from './classroom/service.ts';
import type { ServiceContext } from './classroom/context.ts';
import { lessonFeature } from './lesson/lesson.ts';
import { groupsFeature } from './groups/groups.ts';
import { interactionFeature } from './interaction/interaction.ts';
import { shareFeature } from './share/share.ts';
import { syncFeature } from './sync/sync.ts';
import type { SyncEngine } from './sync/engine.ts';
import { signInFeature, type SecurityDeps } from './identity/signin.ts';
import { bundleFeature } from './bundle/console.ts';
import { liveFeature } from './live/live.ts';
import { liveQuizFeature } from './live/live-quiz.ts';
import { recordingFeature, type RecordingDeps } from './recording/recording.ts';
import { storageFeature, type StorageDeps } from './storage/storage.ts';

/** What the app hands the features that need more than the service (engines made next to it). */
export interface FeatureDeps {
  /** The sync engine once the app made one (sync.* operations); none: they answer CONFLICT. */
  sync?: () => SyncEngine | null;
  /** Sign-in and USB bundles (auth.*, bundle.*); none: they answer CONFLICT. */
  security?: () => SecurityDeps | null;
  /** Where recordings are kept, sealed (recording.*); none: they answer CONFLICT. */
  recordings?: RecordingDeps;
  /** The data folder's status and moving it (storage.*); none: they answer CONFLICT. */
  storage?: () => StorageDeps | null;
}

/** One line per feature (main/<feature>/); a feature another one builds on comes first. */
export function classroomFeatures(ctx: ServiceContext, deps: FeatureDeps) {
  const live = liveFeature(ctx);
  const signIn = signInFeature(() => deps.security?.() ?? null);
  return {
    lesson: lessonFeature(ctx),
    groups: groupsFeature(ctx),
    interaction: interactionFeature(ctx, signIn),
    share: shareFeature(ctx),
    sync: syncFeature(ctx, () => deps.sync?.() ?? null, signIn),
    signIn,
    bundle: bundleFeature(() => deps.security?.() ?? null, signIn),
    live,
    liveQuiz: liveQuizFeature(ctx, live),
    recording: recordingFeature(ctx, deps.recordings ?? null),
    storage: storageFeature(() => deps.storage?.() ?? null, signIn),
  };
}

export type ClassroomFeatures = ReturnType<typeof classroomFeatures>;
export type Classroom = ClassroomService<ClassroomFeatures>;

type Handled = KernelOperation | { [K in keyof ClassroomFeatures]: keyof ClassroomFeatures[K]['handlers'] }[keyof ClassroomFeatures];
type Unhandled = Exclude<OperationName, Handled>;
/** Fails to compile, naming the operation, when one has no handler. */
export const EVERY_OPERATION_HANDLED: [Unhandled] extends [never] ? true : Unhandled = true;

/** The classroom service with every feature of the registry. */
export function createClassroom(opts: ClassroomOptions & FeatureDeps): Classroom {
  return new ClassroomService(opts, (ctx) => classroomFeatures(ctx, opts));
}
