/**
 * Lessons (备课: title, class, planned time, courseware items in order) and
 * the ink written on their pages. Files come in through POST /upload
 * (CoursewareService); these operations only arrange what is there.
 */
import { KetangError } from '../../common/protocol.ts';
import type { lessonOperations } from '../../common/contract/lesson.ts';
import type { InkOp } from '../../common/ink.ts';
import { NotesRepo } from '../store/notes.ts';
import { newId } from '../store/store.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';

export function lessonFeature(ctx: ServiceContext): Feature<keyof typeof lessonOperations> {
  const { store } = ctx;
  const notes = new NotesRepo(store.db);
  return {
    handlers: {
      'lesson.get': (_conn, input) => {
        const lesson = store.lesson(input.lessonId);
        if (!lesson) throw new KetangError('NOT_FOUND', `No lesson ${input.lessonId}`);
        return lesson;
      },

      'lesson.create': (_conn, input) => {
        if (input.classId && !store.classById(input.classId)) throw new KetangError('NOT_FOUND', `No class ${input.classId}`);
        const id = newId();
        store.putLesson({ id, title: input.title, subject: input.subject, classId: input.classId, scheduledAt: input.scheduledAt, items: [{ id: newId(), title: '白板', kind: 'whiteboard', sha256: null, pages: 1 }] });
        return store.lesson(id)!;
      },

      'lesson.update': (_conn, input) => {
        const lesson = store.lesson(input.lessonId);
        if (!lesson) throw new KetangError('NOT_FOUND', `No lesson ${input.lessonId}`);
        if (input.classId && !store.classById(input.classId)) throw new KetangError('NOT_FOUND', `No class ${input.classId}`);
        store.putLesson({
          ...lesson,
          title: input.title ?? lesson.title,
          subject: input.subject ?? lesson.subject,
          classId: input.classId === undefined ? lesson.classId : input.classId,
          scheduledAt: input.scheduledAt === undefined ? lesson.scheduledAt : input.scheduledAt,
        });
        return store.lesson(lesson.id)!;
      },

      'lesson.addWhiteboard': (_conn, input) => {
        if (!store.lesson(input.lessonId)) throw new KetangError('NOT_FOUND', `No lesson ${input.lessonId}`);
        store.addCoursewareItem(input.lessonId, { id: newId(), title: input.title ?? '白板', kind: 'whiteboard', pages: 1, file: null });
        return store.lesson(input.lessonId)!;
      },

      'lesson.removeItem': (_conn, input) => {
        if (!store.removeCoursewareItem(input.lessonId, input.itemId)) throw new KetangError('NOT_FOUND', 'No such item in this lesson');
        return store.lesson(input.lessonId)!;
      },

      'lesson.moveItem': (_conn, input) => {
        if (!store.moveCoursewareItem(input.lessonId, input.itemId, input.position)) throw new KetangError('NOT_FOUND', 'No such item in this lesson');
        return store.lesson(input.lessonId)!;
      },

      'lesson.notes': (_conn, input) => {
        if (!store.lesson(input.lessonId)) throw new KetangError('NOT_FOUND', `No lesson ${input.lessonId}`);
        return { notes: notes.forLesson(input.lessonId) };
      },

      'lesson.setNote': (_conn, input) => {
        if (!store.coursewareItemExists(input.itemId)) throw new KetangError('NOT_FOUND', `No courseware item ${input.itemId}`);
        notes.set(input.itemId, input.page, input.text);
        return { itemId: input.itemId, page: input.page, text: input.text.trim() === '' ? '' : input.text };
      },

      'ink.append': (conn, input) => {
        if (!store.coursewareItemExists(input.itemId)) throw new KetangError('NOT_FOUND', `No courseware item ${input.itemId}`);
        store.appendInk(input.ops.map((op) => ({ itemId: input.itemId, page: input.page, op, sessionId: conn.sessionId })));
        if (conn.sessionId) ctx.broadcast(conn.sessionId, 'ink.ops', { itemId: input.itemId, page: input.page, ops: input.ops, from: conn.id }, conn);
        return { saved: input.ops.length };
      },

      'ink.page': (_conn, input) => {
        if (!store.coursewareItemExists(input.itemId)) throw new KetangError('NOT_FOUND', `No courseware item ${input.itemId}`);
        return { ops: store.inkOps(input.itemId, input.page) as InkOp[] };
      },
    },
  };
}
