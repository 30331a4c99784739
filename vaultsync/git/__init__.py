"""The only code that runs git: `run` (the subprocess), `repo` (the repository and its state), `commit`
(committing and pushing), `objects` (blobs, trees and the index being committed)."""
