# A 2024-edition file: today's Nix.
let
  greeting = name: "hello, ${name}";
  people = [ "ada" "alan" ];
in
{
  greetings = map greeting people;
  inherit people;
}
