//! Lessons and teacher mode: pick a lesson, read its question, hide or lock controls.

use leptos::prelude::*;
use tradeoff_core::classroom::{Classroom, LESSONS};
use tradeoff_core::setting::Setting;

use crate::i18n::{lang, t};
use crate::store::Store;
use tradeoff_core::tr;

/// The lesson chooser in the page's header.
#[component]
pub fn LessonPicker() -> impl IntoView {
    let store = expect_context::<Store>();
    let current = move || {
        store
            .classroom
            .with(|r| r.lesson.clone().unwrap_or_default())
    };
    view! {
        <label class="lesson-picker">
            <span class="label">{t("Lesson")}</span>
            <select
                aria-label=t("Choose a lesson")
                prop:value=current
                on:change=move |ev| {
                    let id = event_target_value(&ev);
                    if id.is_empty() {
                        store.classroom.set(Classroom::default());
                    } else {
                        store.open_link(&format!("lesson={id}"));
                    }
                }
            >
                <option value="">{t("Free play (no lesson)")}</option>
                {LESSONS
                    .iter()
                    .map(|l| view! { <option value=l.id selected=move || current() == l.id>{t(l.title)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The open lesson: what to do, and the question to answer by experiment.
#[component]
pub fn LessonCard() -> impl IntoView {
    let store = expect_context::<Store>();
    let lesson = move || store.classroom.with(|r| r.lesson());
    view! {
        {move || lesson().map(|l| view! {
            <section class="panel lesson" aria-label=t("Lesson")>
                <h2>{tr!(lang(), "Lesson: {title}", title = t(l.title))}</h2>
                <p>{t(l.text)}</p>
                <p class="question"><strong>{t("Question: ")}</strong>{t(l.question)}</p>
                <button on:click=move |_| store.classroom.set(Classroom::default())>
                    {t("Leave the lesson (show every control)")}
                </button>
            </section>
        })}
    }
}

/// Teacher mode: choose which controls the shared link hides or locks.
#[component]
pub fn TeacherPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let toggle = move |control: Setting, hide: bool, on: bool| {
        store.classroom.update(|room| {
            let list = if hide {
                &mut room.hidden
            } else {
                &mut room.locked
            };
            list.retain(|&c| c != control);
            if on {
                list.push(control);
                list.sort();
            }
        });
    };
    let rows = Setting::all()
        .map(|control| {
            let label = t(control.spec().label);
            view! {
                <tr>
                    <th scope="row">{label}</th>
                    {[true, false]
                        .into_iter()
                        .map(|hide| {
                            let listed = move |room: &Classroom| {
                                if hide { &room.hidden } else { &room.locked }.contains(&control)
                            };
                            view! {
                                <td>
                                    <input
                                        type="checkbox"
                                        aria-label=if hide {
                                            tr!(lang(), "Hide {control}", control = label)
                                        } else {
                                            tr!(lang(), "Lock {control}", control = label)
                                        }
                                        prop:checked=move || store.classroom.with(listed)
                                        on:change=move |ev| toggle(control, hide, event_target_checked(&ev))
                                    />
                                </td>
                            }
                        })
                        .collect_view()}
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="panel teacher">
            <summary>{t("Teacher mode: hide or lock controls")}</summary>
            <p class="hint">
                {t("What you tick here goes into the address bar and into Copy link: whoever opens the link sees only the controls you left, and cannot change the locked ones.")}
            </p>
            <table class="teacher-controls">
                <thead>
                    <tr>
                        <th scope="col">{t("Control")}</th>
                        <th scope="col">{t("Hide")}</th>
                        <th scope="col">{t("Lock")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}
