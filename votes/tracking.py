"""Writes for implementation tracking (年初问计划、年中问进度、年底问效果): progress
reports, milestones, photos, the supervising deputies' inspections, and the daily
reminder for overdue milestones.

Slot: the signatures below are the contract the admin, the pages and the task use.
"""

# def progress_report_add(*, project, reported_on, progress, spent, note, by) -> ProgressReport
# def milestone_update(*, milestone, progress, completed_on=None, by) -> Milestone
# def photo_add(*, project, image, caption="", taken_on=None, by) -> ProjectPhoto
# def inspection_submit(*, project, kind, inspected_on, finding, report, deputies, by) -> Inspection
# def may_inspect(user, project) -> bool
# def milestones_remind(*, today=None) -> int
