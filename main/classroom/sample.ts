/**
 * The sample school shipped in resources/sample: loaded into an empty
 * database so Ketang is useful on first start with no platform configured.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { CoursewareItem, Id, Lesson, Student } from '../../common/protocol.ts';
import type { Store } from '../store/store.ts';

const SampleSchool = z.object({
  school: z.object({ id: Id, name: z.string(), platformId: z.string().nullable() }),
  classroom: z.object({ id: Id, name: z.string() }),
  teachers: z.array(z.object({ id: Id, name: z.string(), subject: z.string().nullable() })),
  classes: z.array(z.object({ id: Id, name: z.string(), grade: z.string().nullable(), students: z.array(Student) })),
  lessons: z.array(Lesson.omit({ items: true }).extend({ teacherId: Id.nullable(), items: z.array(CoursewareItem.omit({ position: true })) })),
});

/** Load the sample into the store if it has no school yet. Returns true when it did. */
export function seedSample(store: Store, file: string): boolean {
  if (store.school()) return false;
  const parsed = SampleSchool.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`Sample data ${file} is not valid: ${parsed.error.message}`);
  const s = parsed.data;
  store.tx(() => {
    store.upsertSchool(s.school);
    store.upsertClassroom({ ...s.classroom, schoolId: s.school.id });
    for (const t of s.teachers) store.upsertTeacher({ ...t, schoolId: s.school.id });
    for (const c of s.classes) {
      store.upsertClass({ id: c.id, schoolId: s.school.id, name: c.name, grade: c.grade });
      store.setRoster(c.id, c.students);
    }
    for (const l of s.lessons) store.putLesson(l);
    store.setMeta('seeded-from', 'resources/sample/school.json');
  });
  return true;
}
