# SPDX-License-Identifier: Apache-2.0
# cmake -DSEED_DIR=<dir> -DCORPUS_DIR=<dir> -P copy_seeds.cmake
# Copies the *.dat seed messages into a fresh fuzzing corpus directory.
file(GLOB seeds "${SEED_DIR}/*.dat")
if(NOT seeds)
  message(FATAL_ERROR "no seed files in ${SEED_DIR}")
endif()
file(MAKE_DIRECTORY "${CORPUS_DIR}")
file(COPY ${seeds} DESTINATION "${CORPUS_DIR}")
