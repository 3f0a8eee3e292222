# Times Mclust(X, G = 1:9) on one real-data CSV (no header, numbers only), for bench/realdata.mjs:
#   Rscript bench/realdata-mclust.R FILE.csv REPEATS [four,all] [SEED]
# "four": modelNames = c("VVV","EEE","VVI","VII") (1-D data: c("E","V")), the models matching
# gmm-wasm's full/tied/diag/spherical; "all": mclust's default, all 14 models (1-D: E and V).
# Per set of models: one untimed warm-up call, then REPEATS timed calls; only the Mclust() call is
# inside the timer (not R start-up, loading mclust or reading the CSV). Prints one JSON line per set
# of models: {"models","seed","n","model","G","bic","logLik","ms":[...],"mclust","R"} (bic in mclust's sign,
# higher is better; null fields when Mclust returned no model).
# For n > mclust.options("subset") (2000: gvhd) the hierarchical start runs on a random subset of
# 2000 rows, so the result depends on R's RNG: every call starts from set.seed(SEED) (default 1), so
# the repeats time the same work and the result is reproducible.
suppressPackageStartupMessages(library(mclust))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: Rscript realdata-mclust.R FILE.csv REPEATS [four,all] [SEED]")
file <- args[1]
repeats <- as.integer(args[2])
which <- if (length(args) >= 3) strsplit(args[3], ",")[[1]] else c("four", "all")
seed <- if (length(args) >= 4) as.integer(args[4]) else 1L

X <- as.matrix(read.csv(file, header = FALSE))
storage.mode(X) <- "double"
d <- ncol(X)
if (d == 1) X <- as.vector(X)

num <- function(v) if (is.null(v) || length(v) == 0 || is.na(v)) "null" else sprintf("%.17g", v)
str <- function(v) if (is.null(v) || length(v) == 0) "null" else sprintf("\"%s\"", v)

for (models in which) {
  names <- if (models == "four") {
    if (d == 1) c("E", "V") else c("VVV", "EEE", "VVI", "VII")
  } else {
    NULL # mclust's default: every model for this dimension
  }
  run <- function() {
    set.seed(seed)
    if (is.null(names)) Mclust(X, G = 1:9, verbose = FALSE) else Mclust(X, G = 1:9, modelNames = names, verbose = FALSE)
  }
  fit <- run() # warm-up, untimed
  ms <- numeric(repeats)
  for (r in seq_len(repeats)) {
    t0 <- proc.time()[["elapsed"]]
    fit <- run()
    ms[r] <- (proc.time()[["elapsed"]] - t0) * 1000
  }
  cat(sprintf(
    "{\"models\":\"%s\",\"seed\":%d,\"n\":%d,\"model\":%s,\"G\":%s,\"bic\":%s,\"logLik\":%s,\"ms\":[%s],\"mclust\":\"%s\",\"R\":\"%s\"}\n",
    models,
    seed,
    nrow(as.matrix(X)),
    str(if (is.null(fit)) NULL else fit$modelName),
    num(if (is.null(fit)) NULL else fit$G),
    num(if (is.null(fit)) NULL else fit$bic),
    num(if (is.null(fit)) NULL else fit$loglik),
    paste(sprintf("%.3f", ms), collapse = ","),
    as.character(packageVersion("mclust")),
    paste(R.version$major, R.version$minor, sep = ".")
  ))
}
