a % b
