import { $, type ClientSocket, connect, el, request, trackStatus } from "./common.js";

interface Question {
  id: string;
  text: string;
  options: { id: string; label: string }[];
}

const socket: ClientSocket = connect("/polls");
trackStatus(socket);

let choices: Record<string, string> = {};

function render(questions: Question[]): void {
  $("#questions").replaceChildren(
    ...questions.map((q) =>
      el(
        "section",
        { class: "card question", "data-question": q.id },
        el("h3", {}, q.text),
        el(
          "div",
          { class: "options" },
          ...q.options.map((o) => {
            const button = el(
              "button",
              {
                type: "button",
                "data-option": o.id,
                class: choices[q.id] === o.id ? "chosen" : "",
              },
              o.label,
            );
            button.addEventListener("click", () => void choose(q.id, o.id));
            return button;
          }),
        ),
      ),
    ),
  );
}

function mark(questionId: string): void {
  const box = document.querySelector(`[data-question="${CSS.escape(questionId)}"]`);
  for (const button of box?.querySelectorAll<HTMLButtonElement>("button[data-option]") ?? []) {
    button.classList.toggle("chosen", button.dataset.option === choices[questionId]);
  }
}

type VoteAnswer = { ok?: boolean; error?: string | { code: string; retryAfter?: number } };

/** What to tell the voter about a refused vote (the server's rate limit: slow down). */
function refusal(answer: VoteAnswer): string {
  const error = answer.error;
  if (typeof error === "object" && error.code === "SB_ERR_RATE_LIMITED") {
    const seconds = Math.ceil((error.retryAfter ?? 1000) / 1000);
    return `Too many changes: slow down, you can vote again in ${seconds} s.`;
  }
  return typeof error === "string" ? error : "vote refused";
}

async function choose(questionId: string, optionId: string): Promise<void> {
  $("#message").textContent = "";
  if (choices[questionId] === optionId) {
    const answer = await request<VoteAnswer>(socket, "unvote", { question: questionId });
    if (answer.ok) delete choices[questionId];
    else $("#message").textContent = refusal(answer);
  } else {
    const answer = await request<VoteAnswer>(socket, "vote", {
      question: questionId,
      option: optionId,
    });
    if (answer.ok) choices[questionId] = optionId;
    else $("#message").textContent = refusal(answer);
  }
  mark(questionId);
}

socket.on("polls:questions", (data: { questions: Question[]; choices: Record<string, string> }) => {
  choices = data.choices;
  render(data.questions);
});
