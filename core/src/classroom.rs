//! Teacher mode: controls a link hides or locks, and the guided lessons.
//!
//! `hide=opt,lr&lock=bs` in a link hides the optimizer and learning-rate controls and locks
//! the batch size, so a lesson shows only what matters (like TensorFlow Playground's `_hide`
//! flags). `lesson=batch-size` opens a lesson: its settings, its text and its question.

use crate::i18n::Message;
use crate::i18n::key;
use crate::msg;
use crate::setting::Setting;
use serde::{Deserialize, Serialize};

/// What a link sets up for a class: hidden and locked controls, and the lesson, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classroom {
    /// Settings (and panels) not shown at all.
    pub hidden: Vec<Setting>,
    /// Settings (and panels) shown but not editable.
    pub locked: Vec<Setting>,
    /// The lesson's id ([`Lesson::id`]).
    pub lesson: Option<String>,
}

impl Classroom {
    /// Whether `control` is left out of the page.
    pub fn is_hidden(&self, control: Setting) -> bool {
        self.hidden.contains(&control)
    }

    /// Whether `control` is shown but cannot be changed (hidden ones cannot either).
    pub fn is_locked(&self, control: Setting) -> bool {
        self.locked.contains(&control) || self.is_hidden(control)
    }

    /// The lesson it opens.
    pub fn lesson(&self) -> Option<&'static Lesson> {
        self.lesson.as_deref().and_then(lesson)
    }

    /// Whether it changes nothing (an ordinary link).
    pub fn is_empty(&self) -> bool {
        self.hidden.is_empty() && self.locked.is_empty() && self.lesson.is_none()
    }

    /// Its link keys, e.g. `lesson=batch-size&hide=opt,lr&lock=bs`, empty when there are none.
    pub fn to_hash(&self) -> String {
        let list = |controls: &[Setting]| {
            controls
                .iter()
                .map(|c| c.key())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut parts = Vec::new();
        if let Some(id) = &self.lesson {
            parts.push(format!("lesson={id}"));
        }
        if !self.hidden.is_empty() {
            parts.push(format!("hide={}", list(&self.hidden)));
        }
        if !self.locked.is_empty() {
            parts.push(format!("lock={}", list(&self.locked)));
        }
        parts.join("&")
    }
}

/// Reads a `hide=` or `lock=` list; unknown names are returned as the error.
pub fn parse_controls(value: &str) -> Result<Vec<Setting>, Message> {
    let mut controls = Vec::new();
    for name in value.split(',').filter(|n| !n.is_empty()) {
        let control = Setting::from_key(name).ok_or_else(|| {
            let known: Vec<&str> = Setting::all().map(Setting::key).collect();
            msg!(
                "'{}' is not a control (one of {})",
                name.chars().take(24).collect::<String>(),
                known.join(", ")
            )
        })?;
        if !controls.contains(&control) {
            controls.push(control);
        }
    }
    Ok(controls)
}

/// A guided lesson: a preset, a few sentences, and a question to answer by experiment.
#[derive(Debug, PartialEq, Eq)]
pub struct Lesson {
    /// Its name in links (`lesson=…`).
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// What the lesson is about and what to do.
    pub text: &'static str,
    /// The question to answer by running experiments.
    pub question: &'static str,
    /// Its settings, hidden and locked controls, as link keys (without `lesson=`).
    pub link: &'static str,
}

/// The guided lessons, in teaching order.
pub const LESSONS: [Lesson; 9] = [
    Lesson {
        id: "batch-size",
        title: key("Batch size: speed against accuracy"),
        text: key(
            "The model looks at a batch of images before each update. Train once with batch size 8, then with 64 and 256, changing nothing else. Compare the images per second and the final accuracy in the runs table and on the trade-off chart.",
        ),
        question: key(
            "Which batch size trains fastest, and which reaches the best test accuracy in the same number of epochs? Why are they not the same?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=sgd&lr=0.05&bs=8&ep=1&seed=7&hide=sched,warm,wd,val,aug,pat,be,sweep,compress&lock=ds,in,layers,opt,lr,ep,seed",
    },
    Lesson {
        id: "learning-rate",
        title: key("A learning rate too high"),
        text: key(
            "The learning rate is the size of each step downhill on the loss. Start at 0.01, then try 0.1, 1 and 10 with plain SGD. Watch the loss curve while it trains.",
        ),
        question: key(
            "At what learning rate does training stop working, and what does the loss curve look like when it does?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=sgd&lr=0.01&bs=64&ep=1&seed=7&hide=sched,warm,wd,val,aug,pat,be,sweep,compress&lock=ds,in,layers,opt,bs,ep,seed",
    },
    Lesson {
        id: "overfitting",
        title: key("Overfitting, and what helps"),
        text: key(
            "This wide model trains on the emoji set, whose test emoji never appear in training. Train it as it is: training accuracy climbs while validation accuracy stalls. Then add a dropout layer, some weight decay (L2), or shift and flip augmentation, one at a time.",
        ),
        question: key(
            "Which of dropout, weight decay and augmentation closes the gap between training and validation accuracy the most here?",
        ),
        link: "v=1&ds=emoji&in=32x3&layers=c16k3-p2-c32k3-p2-d128&opt=adam&lr=3e-3&bs=32&ep=8&seed=7&hide=sched,warm,val,pat,be,sweep,compress&lock=ds,in,opt,ep,seed",
    },
    Lesson {
        id: "depth-width",
        title: key("Deeper or wider, and slower"),
        text: key(
            "Start from one small dense layer. Make it wider (more units), then deeper (more layers, or convolutions). After each run, look at the trade-off chart: accuracy against training time and latency.",
        ),
        question: key(
            "Which change bought the most accuracy per extra second of training? Is the most accurate model worth its cost?",
        ),
        link: "v=1&ds=fashion-mnist&in=28x1&layers=d16&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&hide=sched,warm,wd,val,aug,pat,be,compress&lock=ds,in,opt,lr,bs,ep,seed",
    },
    Lesson {
        id: "compression",
        title: key("Compression against accuracy"),
        text: key(
            "Train the model, then open the run's details and compress it: int8 quantization, then pruning 25 %, 50 % and 75 % of the weights. Each compressed copy appears as its own run.",
        ),
        question: key(
            "How much smaller does each compression make the model, and how much test accuracy does it cost? Where would you stop for a phone?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&hide=sched,warm,wd,val,aug,pat,be,sweep&lock=ds,in,layers,opt,lr,bs,ep,seed",
    },
    Lesson {
        id: "initialisation",
        title: key("Where the weights start"),
        text: key(
            "Training starts from random weights, and how they are drawn matters. Train once with Burn's default start, then with He / Kaiming, then with Zeros, changing nothing else, and compare the loss curves. With every weight at zero, all the units of a layer compute the same thing and get the same update, so they stay identical: no amount of training breaks that symmetry.",
        ),
        question: key(
            "Which start has the lowest loss after the first epoch? Why does the run that starts from zeros never learn, however long it trains?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=1&seed=7&hide=sched,warm,wd,mom,val,aug,pat,be,sweep,compress&lock=ds,in,layers,opt,lr,bs,ep,seed",
    },
    Lesson {
        id: "cat-detector",
        title: key("The essay's cat detector"),
        text: key(
            "The essay's worked example answers one question: is there a cat in this photo? Add two classes of your own photos in the data panel: cats, and anything else (twenty or more of each; a webcam recording works too). The model is the essay's: 32 filters of 3×3, 2×2 max pooling, a dense layer of 64, and one sigmoid output trained with binary cross-entropy by Adam at 0.01. Train it as the essay does: on a few dozen photos the loss explodes within a few steps and the page stops the run. Lower the learning rate to 0.001 and train again, then switch the loss to cross-entropy (two softmax outputs) and to mean squared error.",
        ),
        question: key(
            "Why does the essay's learning rate fail on a few photos? At 0.001, does one sigmoid output do as well as two softmax outputs, with half the parameters in the last layer?",
        ),
        link: ESSAY_MODEL_LINK,
    },
    Lesson {
        id: "distillation",
        title: key("A small student and its teacher"),
        text: key(
            "The student is one dense layer of 16 units, about fifty times smaller than the reference CNN. Train it alone first. Then, under Distillation, choose the reference CNN trained on MNIST digits as its teacher and train again, changing nothing else: the student now also learns from how sure the teacher is about every class, softened by the temperature. Compare the two runs in the table and on the trade-off chart.",
        ),
        question: key(
            "How much accuracy does the teacher add to the same student, at the same size and latency? What happens at temperature 1, and with the teacher's weight at 0 or 1?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=d16&opt=adam&lr=3e-3&bs=64&ep=3&seed=7&hide=sched,warm,wd,mom,val,aug,pat,be,init,isd,ls,start,freeze,tlr,noise,eps,adv,sweep,compress&lock=ds,in,layers,opt,lr,bs,ep,seed",
    },
    Lesson {
        id: "robustness",
        title: key("Fooling a model, and defending it"),
        text: key(
            "Every finished run is also tested on attacked images: the fast gradient sign method nudges each pixel by ε in whichever direction fools the model most, a change a person barely sees. Train the model and compare its test accuracy with its accuracy under attack in the runs table. Then set adversarial training to 0.5 (half of each batch is attacked before the model learns from it) and train again. Switch the chart's accuracy axis to “Accuracy under attack”.",
        ),
        question: key(
            "How much accuracy does the attack take away? What does adversarial training cost in training time and in accuracy on clean images, and what does it buy under attack?",
        ),
        link: "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=3e-3&bs=64&ep=2&seed=7&hide=sched,warm,wd,mom,val,aug,pat,be,init,isd,ls,start,freeze,tlr,teacher,temp,alpha,sweep,compress&lock=ds,in,layers,opt,lr,bs,ep,seed",
    },
];

/// The essay's own model as a link: conv 32@3×3 relu → max-pool 2 → dense 64 relu → dense 1
/// sigmoid, 32×32×3 input, Adam 0.01, binary cross-entropy, on two classes of the user's own
/// images, with the teacher's locks of its lesson (the learning rate stays free: the essay's
/// 0.01 explodes on a few dozen photos, which the lesson has the class find out).
pub const ESSAY_MODEL_LINK: &str = "v=1&ds=local&in=32x3&layers=c32k3-p2-d64&opt=adam&lr=0.01&loss=bce&bs=32&ep=10&seed=7&hide=sched,warm,wd,mom,val,pat,be,init,isd,ls,sweep,compress&lock=layers,opt,bs,ep,seed";

/// The lesson named `id`.
pub fn lesson(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}
