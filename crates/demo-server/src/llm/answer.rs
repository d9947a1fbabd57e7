//! The demo's answer to a prompt: "You said: " and the words of the last user message, or a
//! fixed paragraph when there is none, cut into word tokens.

use super::prompt::{Prompt, MAX_ANSWER_TOKENS};

/// The answer to a prompt without user text.
pub(crate) const FIXED_ANSWER: &str = "Streamwatch keeps Server-Sent Events streams under watch: \
it stays connected, and tells you at once when a stream drops, stalls, loses messages or recovers.";

/// One answer, as its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// Word tokens; every one but the first starts with its space.
    pub tokens: Vec<String>,
    /// True when `max_tokens` cut the answer short.
    pub cut_by_max_tokens: bool,
    /// Input tokens, for the usage figures.
    pub input_tokens: u64,
}

impl Answer {
    /// The deterministic answer to `prompt`.
    pub(crate) fn to(prompt: &Prompt) -> Answer {
        let words: Vec<&str> = prompt.last_user_text.split_whitespace().collect();
        let text = if words.is_empty() {
            FIXED_ANSWER.to_owned()
        } else {
            format!("You said: {}", words.join(" "))
        };
        let mut tokens: Vec<String> = text
            .split(' ')
            .enumerate()
            .map(|(i, word)| {
                if i == 0 {
                    word.to_owned()
                } else {
                    format!(" {word}")
                }
            })
            .collect();
        let limit = prompt
            .max_tokens
            .map_or(MAX_ANSWER_TOKENS, |max| {
                usize::try_from(max).unwrap_or(usize::MAX)
            })
            .min(MAX_ANSWER_TOKENS);
        let cut_by_max_tokens = tokens.len() > limit;
        tokens.truncate(limit);
        Answer {
            tokens,
            cut_by_max_tokens,
            input_tokens: prompt.input_tokens,
        }
    }

    /// The whole text.
    pub(crate) fn text(&self) -> String {
        self.tokens.concat()
    }

    /// Output tokens, for the usage figures.
    pub(crate) fn output_tokens(&self) -> u64 {
        self.tokens.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(text: &str, max_tokens: Option<u64>) -> Prompt {
        Prompt::from_messages(
            "m".to_owned(),
            [
                ("system", "Be brief.".to_owned()),
                ("user", text.to_owned()),
            ],
            max_tokens,
        )
    }

    #[test]
    fn echoes_the_words_of_the_last_user_message() {
        let answer = Answer::to(&prompt("  hello\n  there ", None));
        assert_eq!(answer.tokens, ["You", " said:", " hello", " there"]);
        assert_eq!(answer.text(), "You said: hello there");
        assert_eq!(answer.input_tokens, 4);
        assert!(!answer.cut_by_max_tokens);
    }

    #[test]
    fn no_user_text_gives_the_fixed_paragraph() {
        assert_eq!(Answer::to(&prompt(" ", None)).text(), FIXED_ANSWER);
    }

    #[test]
    fn max_tokens_cuts() {
        let answer = Answer::to(&prompt("a b c", Some(3)));
        assert_eq!(answer.text(), "You said: a");
        assert!(answer.cut_by_max_tokens);
        assert_eq!(answer.output_tokens(), 3);
    }
}
